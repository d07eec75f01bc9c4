import { it } from "vitest";
import { readFileSync } from "node:fs";
import { diagnose } from "./helpers.js";
it("explore", () => {
  const raw = readFileSync("/tmp/cases.txt", "utf8");
  for (const chunk of raw.split(/^=== /m).filter(Boolean)) {
    const nl = chunk.indexOf("\n");
    const name = chunk.slice(0, nl);
    const src = chunk.slice(nl + 1);
    let out;
    try { out = diagnose(src).diagnostics.map((d) => `${d.severity[0]} ${d.code} ${d.span.start.line}:${d.span.start.column}-${d.span.end.line}:${d.span.end.column} ${d.message} | sugg=${d.suggestion} | rel=${d.related.map(r=>r.span.file.split('/').pop()+':'+r.span.start.line+':'+r.span.start.column+' '+r.message).join(';')}`); }
    catch (e) { out = ["THROW " + (e as Error).stack?.split("\n").slice(0,6).join("\n")]; }
    console.log(`== ${name}\n${out.join("\n")}`);
  }
});
