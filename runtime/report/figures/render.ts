// Headless rendering: vega's scenegraph is drawn to an SVG string with no browser, canvas,
// fonts or network (text widths are estimated, data is inline).
import { parse, View, type Spec } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** Renders a vega spec to standalone SVG whose element ids all start with `idPrefix`. */
export async function renderVega(spec: Spec, idPrefix: string): Promise<string> {
  const view = new View(parse(spec), { renderer: "none" });
  try {
    return prefixIds(roundCoordinates(await view.toSVG()), idPrefix);
  } finally {
    view.finalize();
  }
}

/** Renders a vega-lite spec to standalone SVG whose element ids all start with `idPrefix`. */
export function renderVegaLite(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  return renderVega(compile(spec).spec, idPrefix);
}

// Vega numbers clip paths and gradients with process-wide counters, so a second render of the
// same figure would name them differently, and two figures inlined in one HTML page could share
// an id. Renaming them by order of appearance under the figure's own prefix fixes both.
function prefixIds(svg: string, idPrefix: string): string {
  const renamed = new Map<string, string>();
  const rename = (id: string) => {
    if (!renamed.has(id)) renamed.set(id, `${idPrefix}-${renamed.size + 1}`);
    return renamed.get(id)!;
  };
  return svg.replace(/\bid="([^"]+)"|url\(#([^)]+)\)/g, (_, defined: string | undefined, used: string | undefined) =>
    defined !== undefined ? `id="${rename(defined)}"` : `url(#${rename(used!)})`,
  );
}

// Vega writes coordinates with full double precision (`171.42857142857142`); a tenth of a pixel
// is finer than any screen or print shows, and contour paths shrink to about a third.
function roundCoordinates(svg: string): string {
  return svg.replace(/\b(d|transform)="([^"]*)"/g, (_, name: string, value: string) => {
    const rounded = value.replace(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g, (n) => (/[.e]/.test(n) ? String(Number(Number(n).toFixed(1)) || 0) : n));
    return `${name}="${rounded}"`;
  });
}
