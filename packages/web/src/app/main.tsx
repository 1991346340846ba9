import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { AtlasPage } from './AtlasPage.tsx';
import { initAuth } from './auth.ts';
import { Home } from './Home.tsx';
import { href, Link, useRoute } from './router.tsx';
import { AuthGate } from './SignIn.tsx';
import { SquarePage } from './SquarePage.tsx';
import './style.css';

function Header({ user }: { user: ReactNode }) {
  return (
    <header className="top">
        <Link href={href.home()} className="brand">
          SmartEM
        </Link>
        <span className="muted">operator dashboard</span>
        <a href="/docs" className="right">
          API
        </a>
        {user}
      </header>
  );
}

function App() {
  const route = useRoute();
  return (
    <>
      {route.page === 'home' && <Home />}
      {route.page === 'grid' && <AtlasPage key={route.grid} gridUuid={route.grid} />}
      {route.page === 'square' && <SquarePage key={route.square} gridUuid={route.grid} squareUuid={route.square} />}
      {route.page === 'not-found' && (
        <main>
          <h1>Not found</h1>
          <p>
            No page at <code>{route.path}</code>. <Link href={href.home()}>Back to the acquisitions</Link>.
          </p>
        </main>
      )}
    </>
  );
}

const auth = await initAuth();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AuthGate initial={auth} header={(user) => <Header user={user} />}>
      <App />
    </AuthGate>
  </StrictMode>,
);
