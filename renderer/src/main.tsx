import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { installHttpBridgeIfNeeded } from './http-bridge';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/pages.css';
import './styles/activity.css';
import './styles/doctor.css';
import './styles/playground.css';
import './styles/server-panels.css';

installHttpBridgeIfNeeded();
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
