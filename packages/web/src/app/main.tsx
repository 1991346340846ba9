import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AtlasPage } from './AtlasPage.tsx';
import { Home } from './Home.tsx';
import { href, Link, useRoute } from './router.tsx';
import { SquarePage } from './SquarePage.tsx';
import './style.css';

function App() {
  const route = useRoute();
  return (
    <>
      <header className="top">
        <Link href={href.home()} className="brand">
          SmartEM
        </Link>
        <span className="muted">operator dashboard</span>
        <a href="/docs" className="right">
          API
        </a>
      </header>
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

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
