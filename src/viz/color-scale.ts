/** Viridis-like sequential colour scale (9 anchors of matplotlib's viridis, linearly blended). */

const VIRIDIS_ANCHORS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54],
  [0x47, 0x2d, 0x7b],
  [0x3b, 0x52, 0x8b],
  [0x2c, 0x72, 0x8e],
  [0x21, 0x91, 0x8c],
  [0x28, 0xae, 0x80],
  [0x5e, 0xc9, 0x62],
  [0xad, 0xdc, 0x30],
  [0xfd, 0xe7, 0x25],
];

function hex2(v: number): string {
  return Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, "0");
}

/** Colour at t in [0, 1] (clamped; NaN → 0) as `#rrggbb`. */
export function viridis(t: number): string {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = u * (VIRIDIS_ANCHORS.length - 1);
  const i = Math.min(VIRIDIS_ANCHORS.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = VIRIDIS_ANCHORS[i] ?? [0, 0, 0];
  const b = VIRIDIS_ANCHORS[i + 1] ?? a;
  return "#" + [0, 1, 2].map((c) => hex2((a[c] ?? 0) + ((b[c] ?? 0) - (a[c] ?? 0)) * f)).join("");
}
