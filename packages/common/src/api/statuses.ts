/** Status values as the original's API (and our database) spell them: lowercase, with spaces. */
export const ACQUISITION_STATUSES = ['planned', 'started', 'completed', 'paused', 'abandoned'] as const;
export const GRID_STATUSES = [
  'none',
  'scan started',
  'scan completed',
  'grid squares decision started',
  'grid squares decision completed',
] as const;
export const GRIDSQUARE_STATUSES = ['none', 'foil holes decision started', 'foil holes decision completed'] as const;
export const FOILHOLE_STATUSES = ['none', 'micrographs detected'] as const;
export const MICROGRAPH_STATUSES = [
  'none',
  'motion correction started',
  'motion correction completed',
  'ctf started',
  'ctf completed',
  'particle picking started',
  'particle picking completed',
  'particle selection started',
  'particle selection completed',
] as const;

export type AcquisitionStatus = (typeof ACQUISITION_STATUSES)[number];
export type GridStatus = (typeof GRID_STATUSES)[number];
export type GridSquareStatus = (typeof GRIDSQUARE_STATUSES)[number];
export type FoilHoleStatus = (typeof FOILHOLE_STATUSES)[number];
export type MicrographStatus = (typeof MICROGRAPH_STATUSES)[number];
