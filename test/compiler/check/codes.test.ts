// The diagnostic registry, the code frame printer, and the test helper's markers.
import { describe, expect, it } from "vitest";
import { Codes, formatDiagnostic } from "../../../compiler/index.js";
import { diagnose, SPEC_PATH, stripMarkers } from "./helpers.js";

describe("the registry of diagnostic codes", () => {
  const entries = Object.entries(Codes);

  it("gives every entry its own code", () => {
    const byCode = new Map<string, string[]>();
    for (const [name, info] of entries) byCode.set(info.code, [...(byCode.get(info.code) ?? []), name]);
    const shared = [...byCode].filter(([, names]) => names.length > 1);
    expect(shared).toEqual([]);
  });

  it("writes codes as a letter and three digits", () => {
    for (const [name, info] of entries) expect(info.code, name).toMatch(/^[EW]\d{3}$/);
  });

  it("makes W codes warnings and E codes errors", () => {
    for (const [name, info] of entries) {
      expect(info.severity, `${name} (${info.code})`).toBe(info.code.startsWith("W") ? "warning" : "error");
    }
  });
});

describe("formatDiagnostic", () => {
  it("prints file:line:col, severity and code, the source line and a caret run under the span", () => {
    const source = "landscape L {\n  vars x in [5, -5]\n  f = x^2\n}\n";
    const { diagnostics, text } = diagnose(source);
    expect(diagnostics).toHaveLength(1);
    const printed = formatDiagnostic(diagnostics[0]!, (file) => (file === SPEC_PATH ? text : undefined));
    expect(printed.split("\n")).toEqual([
      `${SPEC_PATH}:2:13: error E200: the domain of 'x' is [5, -5], which is reversed`,
      "  |",
      "2 |   vars x in [5, -5]",
      "  |             ^^^^^^^",
      "  help: write [-5, 5]",
    ]);
  });

  it("prints related locations as notes", () => {
    const { diagnostics, text } = diagnose("landscape L { vars x in [0, 1] f = x }\nlandscape L { vars y in [0, 1] f = y }");
    const printed = formatDiagnostic(diagnostics[0]!, () => text);
    expect(printed).toContain(`${SPEC_PATH}:2:11: error E101:`);
    expect(printed).toContain("2 | landscape L { vars y in [0, 1] f = y }");
    expect(printed).toContain("  |           ^\n");
    expect(printed).toContain(`note: first declared here (${SPEC_PATH}:1:11)`);
  });

  it("prints only the head line when the source is not available", () => {
    const { diagnostics } = diagnose("landscape L { vars x in [1, 1] f = x }");
    expect(formatDiagnostic(diagnostics[0]!, () => undefined).split("\n")[0]).toBe(
      `${SPEC_PATH}:1:25: error E200: the domain of 'x' is [1, 1], which is empty`,
    );
  });
});

describe("the test helper's markers", () => {
  it("strips ⟨n⟩ markers and records 1-based positions in the stripped text", () => {
    const { text, markers } = stripMarkers("ab⟨1⟩c\n  ⟨3⟩d⟨2⟩e");
    expect(text).toBe("abc\n  de");
    expect(markers.get(1)).toEqual({ offset: 2, line: 1, column: 3 });
    expect(markers.get(3)).toEqual({ offset: 6, line: 2, column: 3 });
    expect(markers.get(2)).toEqual({ offset: 7, line: 2, column: 4 });
  });

  it("rejects a marker used twice", () => {
    expect(() => stripMarkers("⟨1⟩a⟨1⟩")).toThrow(/twice/);
  });
});
