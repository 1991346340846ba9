/** EPU's square hints as log-odds-like scores: a square EPU selected leans good, one it marked unusable bad. */
export function squareHint(selected: boolean | null, unusable: boolean | null): number {
  if (unusable) return -2;
  return selected ? 0.5 : 0;
}

/**
 * EPU's quality hints (direction on real quality unknown: the learner learns it per grid): the numeric atlas quality
 * of the square and position quality of the hole, and the square's atlas category (a label, not a quantity) as one
 * 0/1 indicator per category present on the grid — only when the grid has at least two, else it tells nothing.
 */
export function epuHints(
  square: { atlasQuality: number | null; atlasCategory: number | null },
  positionQuality: number | null,
  gridCategories: readonly number[],
): Record<string, number> {
  const out: Record<string, number> = {};
  if (square.atlasQuality !== null) out.epu_atlas_quality = square.atlasQuality;
  if (positionQuality !== null) out.epu_position_quality = positionQuality;
  if (square.atlasCategory !== null && gridCategories.length >= 2) {
    for (const c of gridCategories) out[`epu_atlas_category_${c}`] = square.atlasCategory === c ? 1 : 0;
  }
  return out;
}
