// node --import ./register-fake-electron.mjs dist/main/app/main.js: runs the entry with the fake.
import { register } from 'node:module';

register(new URL('./fake-electron-hooks.mjs', import.meta.url));
