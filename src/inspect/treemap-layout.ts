// Squarified treemap layout (Bruls, Huijsing, van Wijk, 2000): values, largest first, are laid in
// rows along the shorter side of what is left, a row growing while that makes its worst aspect
// ratio no worse. The rectangles tile the given one exactly; the last of each row takes what float
// arithmetic left over, so no sliver of background shows.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * One rectangle per value, in the values' order; values ≤ 0 get an empty rectangle at the corner.
 * The largest values come first in the tiling whatever the input order.
 */
export function squarify(values: readonly number[], area: Rect): Rect[] {
  const out: Rect[] = values.map(() => ({ x: area.x, y: area.y, w: 0, h: 0 }));
  const order = values.map((v, i) => i).filter((i) => values[i]! > 0).sort((a, b) => values[b]! - values[a]! || a - b);
  const total = order.reduce((n, i) => n + values[i]!, 0);
  if (!total || area.w <= 0 || area.h <= 0) return out;
  const scale = (area.w * area.h) / total;
  let free = { ...area };
  let row: number[] = [];
  let rowArea = 0;

  const worst = (items: number[], sum: number, side: number) => {
    let max = 0;
    let min = Infinity;
    for (const i of items) {
      const a = values[i]! * scale;
      max = Math.max(max, a);
      min = Math.min(min, a);
    }
    const s2 = side * side;
    return Math.max((s2 * max) / (sum * sum), (sum * sum) / (s2 * min));
  };

  const place = (items: number[], sum: number, last: boolean) => {
    const vertical = free.w >= free.h; // a column at the left of a wide space, else a row at the top
    const thick = last ? (vertical ? free.w : free.h) : sum / (vertical ? free.h : free.w);
    let offset = 0;
    items.forEach((i, k) => {
      const length = vertical ? free.h : free.w;
      const along = k === items.length - 1 ? length - offset : (values[i]! * scale) / thick;
      out[i] = vertical ? { x: free.x, y: free.y + offset, w: thick, h: along } : { x: free.x + offset, y: free.y, w: along, h: thick };
      offset += along;
    });
    free = vertical ? { x: free.x + thick, y: free.y, w: Math.max(0, free.w - thick), h: free.h } : { x: free.x, y: free.y + thick, w: free.w, h: Math.max(0, free.h - thick) };
  };

  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const side = Math.min(free.w, free.h);
    const a = values[i]! * scale;
    if (!row.length || worst([...row, i], rowArea + a, side) <= worst(row, rowArea, side)) {
      row.push(i);
      rowArea += a;
      continue;
    }
    place(row, rowArea, false);
    row = [i];
    rowArea = a;
  }
  if (row.length) place(row, rowArea, true);
  return out;
}

/** The rectangle less a margin on every side (never negative). */
export function inset(r: Rect, by: number): Rect {
  const dx = Math.min(by, r.w / 2);
  const dy = Math.min(by, r.h / 2);
  return { x: r.x + dx, y: r.y + dy, w: r.w - 2 * dx, h: r.h - 2 * dy };
}
