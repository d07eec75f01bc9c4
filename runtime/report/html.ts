// The run report as one self-contained HTML page: CSS and the figures' SVG inline, no
// scripts, fonts or other fetches (the page's CSP forbids them), so it opens anywhere and
// can be attached to a CI run as a single file. Nothing in it depends on when it was written,
// so the same results always give the same bytes.
import type { Results } from "../results.js";
import type { Figure } from "./figures/index.js";
import { checkRow, describeExperiment, describeHypothesis, reproducibilityFacts, stationaryTables, tallyLine } from "./markdown.js";
import { describeTaskExperiment, taskTables } from "./table.js";

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #5b636e; --rule: #d6dae0; --pass: #1a7f37; --fail: #cf222e; --obs: #0969da; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.5rem; margin: 0 0 0.75rem; word-break: break-all; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.75rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.25rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
.summary { margin: 1rem 0 0; font-weight: 600; }
.note { color: var(--muted); margin: 0.25rem 0 0.75rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.25rem 0 1rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); text-align: right; white-space: nowrap; }
thead th:first-child, td.text, th.text { text-align: left; }
td.num { text-align: right; white-space: nowrap; }
th .kind { display: block; font-weight: normal; color: var(--muted); font-size: 0.85em; }
tbody th { text-align: left; font-weight: normal; }
.verdict { font-weight: 700; white-space: nowrap; }
.PASS, .holds { color: var(--pass); }
.FAIL, .fails { color: var(--fail); }
.OBS, .observed { color: var(--obs); }
.error { color: var(--fail); }
figure.figure { margin: 1rem 0 2rem; }
figure.figure .plot { overflow-x: auto; }
figure.figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); margin-top: 0.5rem; max-width: 60rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.85em; }
`;

/** The report page for `results` with `figures` inline. */
export function renderHtmlReport(results: Results, figures: readonly Figure[]): string {
  const out: string[] = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>optspec report: ${escape(results.spec)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    '<header id="run">',
    `<h1>optspec report: <code>${escape(results.spec)}</code></h1>`,
    '<dl class="facts">',
    ...reproducibilityFacts(results).map(([label, value]) => `<dt>${escape(label)}</dt><dd class="mono">${escape(value)}</dd>`),
    "</dl>",
  ];
  if (results.hypotheses?.length) out.push(`<p class="summary">Hypotheses: ${escape(tallyLine(results.hypotheses))}</p>`);
  out.push("</header>", "<main>", '<section id="tables">');
  if (results.experiments.length > 0) out.push("<h2>Stationary distributions</h2>");
  for (const e of results.experiments) {
    out.push(`<h3>Experiment ${escape(e.name)}</h3>`, `<p class="note">${escape(describeExperiment(e))}</p>`);
    for (const t of stationaryTables(e)) {
      out.push('<div class="scroll"><table class="stationary">', `<caption>${escape(t.landscape)}</caption>`, "<thead><tr>", '<th scope="col">optimizer</th>');
      for (const c of t.columns) out.push(`<th scope="col">${escape(c.name)}${c.kind ? `<span class="kind">${escape(c.kind)}</span>` : ""}</th>`);
      out.push('<th scope="col">diverged</th><th scope="col">grad/restart</th>', "</tr></thead>", "<tbody>");
      for (const r of t.rows)
        out.push(`<tr><th scope="row">${escape(r.optimizer)}</th>${[...r.percents, r.diverged, r.gradients].map((v) => `<td class="num">${escape(v)}</td>`).join("")}</tr>`);
      out.push("</tbody></table></div>");
    }
  }
  out.push("</section>");
  if (results.taskExperiments?.length) {
    out.push('<section id="tasks">', "<h2>Populations on tasks</h2>");
    for (const e of results.taskExperiments) {
      out.push(`<h3>Experiment ${escape(e.name)}</h3>`, `<p class="note">${escape(describeTaskExperiment(e))}</p>`);
      for (const t of taskTables(e)) {
        out.push('<div class="scroll"><table class="stationary">', `<caption>${escape(t.caption)}</caption>`, "<thead><tr>", '<th scope="col">optimizer</th>');
        for (const h of t.header.slice(1)) out.push(`<th scope="col">${escape(h)}</th>`);
        out.push("</tr></thead>", "<tbody>");
        for (const r of t.rows) out.push(`<tr><th scope="row">${escape(r[0]!)}</th>${r.slice(1).map((v) => `<td class="num">${escape(v)}</td>`).join("")}</tr>`);
        out.push("</tbody></table></div>");
      }
    }
    out.push("</section>");
  }
  if (figures.length) {
    out.push('<section id="figures">', "<h2>Figures</h2>");
    for (const f of figures)
      out.push(
        `<figure class="figure" id="figure-${escape(f.id)}">`,
        `<h3>${escape(f.title)}</h3>`,
        `<div class="plot">${inlineSvg(f.svg, `${f.id}-`)}</div>`,
        `<figcaption>${escape(f.caption)}</figcaption>`,
        "</figure>",
      );
    out.push("</section>");
  }
  if (results.hypotheses?.length) {
    out.push('<section id="hypotheses">', "<h2>Hypotheses</h2>");
    for (const h of results.hypotheses) {
      const { verdict, title } = describeHypothesis(h);
      out.push(`<h3><span class="${verdict}">${verdict}</span> ${escape(title)}</h3>`, '<div class="scroll"><table class="checks">', "<thead><tr>");
      for (const name of ["", "claim", "test", "statistic", "p", "p adjusted", "effect size", "interval", "expected"])
        out.push(`<th scope="col"${["claim", "test", "effect size", "interval", "expected", ""].includes(name) ? ' class="text"' : ""}>${name}</th>`);
      out.push("</tr></thead>", "<tbody>");
      for (const c of h.checks) {
        const r = checkRow(c);
        const claim = `<code>${escape(r.claim)}</code>${r.observed ? ` <span class="OBS">(${r.observed})</span>` : ""}${r.error ? `<div class="error">could not be computed: ${escape(r.error)}</div>` : ""}`;
        out.push(
          `<tr><td class="verdict ${r.verdict}">${r.verdict}</td><td class="text">${claim}</td><td class="text">${escape(r.test)}</td>` +
            [r.statistic, r.p, r.pAdjusted].map((v) => `<td class="num">${escape(v)}</td>`).join("") +
            [r.effect, r.interval, r.expected].map((v) => `<td class="text">${escape(v)}</td>`).join("") +
            "</tr>",
        );
      }
      out.push("</tbody></table></div>");
    }
    out.push("</section>");
  }
  out.push("</main>", `<footer>optspec ${escape(results.optspecVersion)}; results in results.json, Markdown in report.md</footer>`, "</body>", "</html>");
  return `${out.join("\n")}\n`;
}

/** An SVG document as an element of the page: no XML prolog, and every id under `prefix`. */
function inlineSvg(svg: string, prefix: string): string {
  const text = svg.replace(/<\?xml[^>]*\?>/g, "").replace(/<!DOCTYPE[^>]*>/gi, "").trim();
  // Ids are global to the page: two plots that both define `clip1` would clip each other's
  // marks. Ids the renderer already scoped to this figure are left as they are.
  const ids = [...new Set([...text.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!))].filter((id) => !id.startsWith(prefix));
  if (ids.length === 0) return text;
  const names = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  const pattern = new RegExp(`(\\sid="|url\\(['"]?#|href="#)(${names})(?=["')])`, "g");
  return text.replace(pattern, (_, before: string, id: string) => `${before}${prefix}${id}`);
}
