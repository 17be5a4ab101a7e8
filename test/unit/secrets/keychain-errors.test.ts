import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keychainErrorReason } from '../../../main/secrets/keychain-errors.js';

describe(
  'keychain error reasons',
  { skip: process.platform !== 'linux' && 'messages below are the Linux library texts' },
  () => {
    it('turns the library texts seen on Linux into reasons a person can act on', () => {
      const noBus =
        'No Secret Service is running (install gnome-keyring or KeePassXC, or run inside a desktop session)';
      assert.equal(
        keychainErrorReason(
          new Error(
            'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
          ),
        ),
        noBus,
      );
      assert.equal(
        keychainErrorReason(
          new Error(
            'Platform failure: DBus error: Failed to connect to socket /nonexistent: No such file or directory',
          ),
        ),
        noBus,
      );
      assert.equal(
        keychainErrorReason(
          new Error(
            'Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files',
          ),
        ),
        noBus,
      );
      assert.match(
        keychainErrorReason(
          new Error("Couldn't access platform storage: Secret Service: unlock prompt was dismissed"),
        ),
        /keyring is locked and could not be unlocked/,
      );
      const timeout = new Error('The operation was aborted due to timeout');
      timeout.name = 'TimeoutError';
      assert.match(keychainErrorReason(timeout), /did not answer in time/);
      assert.equal(
        keychainErrorReason(new Error('something else')),
        'the keychain could not be opened (something else)',
      );
    });
  },
);
