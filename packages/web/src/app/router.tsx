/** Three pages with stable URLs under /ui/; links use the History API so the back button works. */
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export type Route =
  | { page: 'home' }
  | { page: 'grid'; grid: string }
  | { page: 'square'; grid: string; square: string }
  | { page: 'not-found'; path: string };

export const BASE = '/ui';

export const href = {
  home: () => `${BASE}/`,
  grid: (g: string) => `${BASE}/grids/${encodeURIComponent(g)}`,
  square: (g: string, s: string) => `${BASE}/grids/${encodeURIComponent(g)}/squares/${encodeURIComponent(s)}`,
};

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'home' };
  if (parts[0] === 'grids' && parts.length === 2) return { page: 'grid', grid: parts[1] };
  if (parts[0] === 'grids' && parts.length === 4 && parts[2] === 'squares') return { page: 'square', grid: parts[1], square: parts[3] };
  return { page: 'not-found', path: pathname };
}

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return route;
}

/** An anchor that navigates in-app on a plain click (modified clicks open tabs as usual). */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    props.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}
