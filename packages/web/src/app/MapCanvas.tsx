/**
 * A pannable, zoomable Canvas 2D map of rectangles or circles (grid squares on the atlas, foil holes on a square),
 * with an ordered path and numbered labels on top. Shapes are batched into one Path2D per colour, so a frame with
 * 5,000 shapes is a few fill calls. Drag pans, the wheel zooms, a click picks; the DOM list beside the map is the
 * keyboard and screen-reader way to the same items.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';

export interface MapItem {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
}

/** An image drawn under the items, in their coordinates (atlas tiles, the square image). */
export interface MapImage {
  image: CanvasImageSource;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface MapCanvasProps {
  items: MapItem[];
  /** Drawn first, under the items. */
  images?: MapImage[];
  shape: 'rect' | 'circle';
  /** Item ids in the order to draw the path through. */
  path: string[];
  /** Labels drawn at an item's position (e.g. recommended order). */
  labels: Map<string, string>;
  selected?: string | null;
  highlighted?: string | null;
  onHover?: (id: string | null) => void;
  onPick?: (id: string) => void;
  label: string;
  height?: number;
}

interface View {
  scale: number;
  tx: number;
  ty: number;
}

function bounds(items: MapItem[]) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const i of items) {
    x0 = Math.min(x0, i.x - i.w / 2);
    y0 = Math.min(y0, i.y - i.h / 2);
    x1 = Math.max(x1, i.x + i.w / 2);
    y1 = Math.max(y1, i.y + i.h / 2);
  }
  return Number.isFinite(x0) ? { x0, y0, x1, y1 } : { x0: 0, y0: 0, x1: 1, y1: 1 };
}

export function MapCanvas(props: MapCanvasProps) {
  const { items, images, shape, path, labels, selected, highlighted, onHover, onPick, label } = props;
  const height = props.height ?? 560;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const view = useRef<View>({ scale: 1, tx: 0, ty: 0 });
  const fitted = useRef(false);
  const frame = useRef(0);
  const drawnOnce = useRef(false);
  const byId = useMemo(() => new Map(items.map((i) => [i.id, i])), [items]);

  // One Path2D per colour, in world coordinates.
  const batches = useMemo(() => {
    const out = new Map<string, Path2D>();
    for (const i of items) {
      let p = out.get(i.fill);
      if (!p) out.set(i.fill, (p = new Path2D()));
      if (shape === 'rect') p.rect(i.x - i.w / 2, i.y - i.h / 2, i.w, i.h);
      else {
        p.moveTo(i.x + i.w / 2, i.y);
        p.arc(i.x, i.y, i.w / 2, 0, Math.PI * 2);
      }
    }
    return out;
  }, [items, shape]);

  const draw = () => {
    frame.current = 0;
    const canvas = canvasRef.current;
    if (!canvas || width === 0) return;
    const started = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const { scale, tx, ty } = view.current;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#0f172a';
    ctx.fillRect(0, 0, width, height);
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * tx, dpr * ty);
    if (images?.length) {
      for (const m of images) ctx.drawImage(m.image, m.x, m.y, m.w, m.h);
      // Translucent shapes over a picture, so it shows through.
      ctx.globalAlpha = 0.55;
    }
    for (const [fill, p] of batches) {
      ctx.fillStyle = fill;
      ctx.fill(p);
    }
    ctx.globalAlpha = 1;
    const outline = (id: string | null | undefined, colour: string, widthPx: number) => {
      const i = id ? byId.get(id) : undefined;
      if (!i) return;
      ctx.strokeStyle = colour;
      ctx.lineWidth = widthPx / scale;
      ctx.beginPath();
      if (shape === 'rect') ctx.rect(i.x - i.w / 2, i.y - i.h / 2, i.w, i.h);
      else ctx.arc(i.x, i.y, i.w / 2 + 1 / scale, 0, Math.PI * 2);
      ctx.stroke();
    };
    // The recommended order as a path.
    const pts = path.map((id) => byId.get(id)).filter((i): i is MapItem => Boolean(i));
    if (pts.length > 1) {
      ctx.strokeStyle = 'rgba(255,255,255,0.85)';
      ctx.lineWidth = 1.5 / scale;
      ctx.setLineDash([4 / scale, 3 / scale]);
      ctx.beginPath();
      pts.forEach((i, k) => (k === 0 ? ctx.moveTo(i.x, i.y) : ctx.lineTo(i.x, i.y)));
      ctx.stroke();
      ctx.setLineDash([]);
    }
    outline(highlighted, '#ffffff', 2);
    outline(selected, '#f472b6', 3);
    // Labels in screen space so they stay readable at any zoom.
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const [id, text] of labels) {
      const i = byId.get(id);
      if (!i) continue;
      const sx = i.x * scale + tx;
      const sy = i.y * scale + ty;
      if (sx < -20 || sy < -20 || sx > width + 20 || sy > height + 20) continue;
      const w = ctx.measureText(text).width + 6;
      ctx.fillStyle = 'rgba(15,23,42,0.85)';
      ctx.fillRect(sx - w / 2, sy - 7, w, 14);
      ctx.fillStyle = '#fff';
      ctx.fillText(text, sx, sy);
    }
    canvas.dataset.drawn = String(items.length);
    // User timings for the benchmark (bench/web.ts) and the browser's performance panel.
    performance.measure('map-draw', { start: started });
    if (!drawnOnce.current) {
      drawnOnce.current = true;
      performance.mark('map-first-draw');
    }
  };
  const schedule = () => {
    if (!frame.current) frame.current = requestAnimationFrame(draw);
  };

  // A layout effect: the width is known before the first paint, so the first frame draws the map (not an empty canvas).
  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const ro = new ResizeObserver(() => setWidth(canvas.parentElement?.clientWidth ?? 0));
    if (canvas.parentElement) ro.observe(canvas.parentElement);
    setWidth(canvas.parentElement?.clientWidth ?? 0);
    return () => ro.disconnect();
  }, []);

  // Fit the items to the canvas once they first arrive (later updates keep the operator's pan and zoom); before the
  // first draw below.
  useLayoutEffect(() => {
    if (width === 0 || items.length === 0 || fitted.current) return;
    const b = bounds(items);
    const pad = 16;
    const scale = Math.min((width - 2 * pad) / (b.x1 - b.x0 || 1), (height - 2 * pad) / (b.y1 - b.y0 || 1));
    view.current = { scale, tx: (width - (b.x1 + b.x0) * scale) / 2, ty: (height - (b.y1 + b.y0) * scale) / 2 };
    fitted.current = true;
  }, [width, height, items]);

  // The first draw happens in the commit that has the items (before the browser paints, whatever else React renders
  // next, e.g. thousands of list entries); later ones once per animation frame. Resizing the canvas clears it, so it is
  // resized only when its size changes.
  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(width * dpr);
    const h = Math.round(height * dpr);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    if (!drawnOnce.current) draw();
    else schedule();
  });

  // Wheel zoom about the pointer; a native listener, because React's is passive and cannot stop the page scrolling.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      const mx = e.clientX - r.left;
      const my = e.clientY - r.top;
      const k = Math.exp(-e.deltaY * 0.0015);
      const v = view.current;
      v.tx = mx - (mx - v.tx) * k;
      v.ty = my - (my - v.ty) * k;
      v.scale *= k;
      schedule();
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  });

  const hit = (clientX: number, clientY: number): string | null => {
    const canvas = canvasRef.current;
    if (!canvas) return null;
    const r = canvas.getBoundingClientRect();
    const { scale, tx, ty } = view.current;
    const wx = (clientX - r.left - tx) / scale;
    const wy = (clientY - r.top - ty) / scale;
    let best: string | null = null;
    let bestD = Infinity;
    for (const i of items) {
      const dx = Math.abs(wx - i.x);
      const dy = Math.abs(wy - i.y);
      const inside = shape === 'rect' ? dx <= i.w / 2 && dy <= i.h / 2 : dx * dx + dy * dy <= (i.w / 2) * (i.w / 2);
      if (inside && dx + dy < bestD) {
        best = i.id;
        bestD = dx + dy;
      }
    }
    return best;
  };

  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  return (
    <canvas
      ref={canvasRef}
      className="map"
      style={{ width: '100%', height, display: 'block', cursor: drag.current?.moved ? 'grabbing' : 'crosshair', touchAction: 'none' }}
      role="img"
      aria-label={label}
      onPointerDown={(e) => {
        drag.current = { x: e.clientX, y: e.clientY, moved: false };
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        const d = drag.current;
        if (d) {
          const dx = e.clientX - d.x;
          const dy = e.clientY - d.y;
          if (d.moved || Math.abs(dx) + Math.abs(dy) > 3) {
            d.moved = true;
            view.current.tx += dx;
            view.current.ty += dy;
            d.x = e.clientX;
            d.y = e.clientY;
            schedule();
          }
          return;
        }
        onHover?.(hit(e.clientX, e.clientY));
      }}
      onPointerUp={(e) => {
        const d = drag.current;
        drag.current = null;
        if (d && !d.moved) {
          const id = hit(e.clientX, e.clientY);
          if (id) onPick?.(id);
        }
      }}
      onPointerLeave={() => onHover?.(null)}
    />
  );
}
