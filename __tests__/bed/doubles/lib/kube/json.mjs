// JSON helpers shared by the emulated cluster's pieces.

export const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

export const clone = (o) => (o === undefined ? undefined : JSON.parse(JSON.stringify(o)));

/** JSON with sorted object keys: the same text for objects that differ only in key order. */
export const stableJson = (v) =>
  JSON.stringify(v, (_, x) =>
    isPlainObject(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  );

export const sameJson = (a, b) => stableJson(a) === stableJson(b);
