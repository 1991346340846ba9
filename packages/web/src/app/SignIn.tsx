/** The sign-in state for the whole app: who is signed in (header), and what to show instead of a page when nobody is. */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { onSessionRenewed, signIn, signOut, type AuthState } from './auth.ts';

const AuthContext = createContext<AuthState>({ kind: 'open' });

export const useAuth = () => useContext(AuthContext);

/** Provides the state; renders `children` when the API is open or a user is signed in, a sign-in prompt otherwise. */
export function AuthGate({ initial, header, children }: { initial: AuthState; header: (user: ReactNode) => ReactNode; children: ReactNode }) {
  const [state, setState] = useState(initial);
  // A renewed token may carry other roles.
  useEffect(
    () => onSessionRenewed((session) => setState((s) => (s.kind === 'signed-in' ? { ...s, session } : s))),
    [],
  );
  const user =
    state.kind === 'signed-in' ? (
      <span className="user">
        signed in as <strong data-testid="user">{state.session.user}</strong>{' '}
        <button type="button" onClick={() => setState(signOut(state.config))}>
          Sign out
        </button>
      </span>
    ) : null;
  return (
    <AuthContext.Provider value={state}>
      {header(user)}
      {state.kind === 'open' || state.kind === 'signed-in' ? (
        children
      ) : (
        <main>
          <h1>Sign in</h1>
          {state.kind === 'error' ? (
            <p role="alert" className="error">
              {state.message}
            </p>
          ) : (
            <p className="muted">You are signed out.</p>
          )}
          {state.kind === 'signed-out' && (
            <button type="button" onClick={() => void signIn(state.config)}>
              Sign in
            </button>
          )}
        </main>
      )}
    </AuthContext.Provider>
  );
}
