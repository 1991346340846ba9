/** Whether the page follows the backend live: a dot and a word in the middle of the page's top bar (kept in view). */
import type { LiveStatus } from './useLive.ts';

const TEXT: Record<LiveStatus, { label: string; help: string }> = {
  connecting: { label: 'connecting…', help: 'opening the live stream' },
  live: { label: 'live', help: 'the page updates itself as the backend records changes' },
  reconnecting: { label: 'reconnecting…', help: 'the live stream was lost; changes meanwhile arrive once it is back' },
};

export function LiveBadge({ status }: { status: LiveStatus }) {
  return (
    <span className={`live-badge ${status}`} data-live={status} title={TEXT[status].help} role="status">
      <i /> {TEXT[status].label}
    </span>
  );
}
