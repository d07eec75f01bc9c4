// End-to-end checks of the symbolic layer on formulas as the user writes them: benchmark
// landscapes and a few hundred seeded random formulas go through fromAst, differentiate and
// emitStraightLine, and are compared against oracles that share no code with the layer:
// a direct interpreter of the AST, central finite differences of that interpreter, and
// `new Function` of the emitted code.
import { describe, expect, it } from "vitest";
import type * as ast from "../../../grammar/ast.js";
import {
  SymbolicError,
  emitStraightLine,
  evaluate,
  fromAst,
  gradient,
  type Expr,
  type SymbolEnv,
} from "../../../compiler/symbolic/index.js";

// ---------------------------------------------------------------------------------------------
// A tiny parser for the expression part of SYNTAX.md, so that formulas read as written and
// spans point at real text. It stays independent of grammar/, which is being written alongside.

function parse(source: string): ast.Expr {
  const tokens = [...source.matchAll(/\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[A-Za-z_]\w*|\.\.|\S)/gy)].map(
    (m) => ({ text: m[1]!, offset: m.index + m[0].length - m[1]!.length }),
  );
  let at = 0;
  const position = (offset: number): ast.Position => ({ offset, line: 1, column: offset + 1 });
  const spanFrom = (start: number): ast.Span => {
    const last = tokens[at - 1]!;
    return { file: "test.optspec", start: position(start), end: position(last.offset + last.text.length) };
  };
  const peek = (): string | undefined => tokens[at]?.text;
  const startOffset = (): number => tokens[at]?.offset ?? source.length;
  const consume = (text: string): void => {
    if (peek() !== text) throw new Error(`expected '${text}' at token ${at} of ${source}`);
    at++;
  };
  const identifier = (): ast.Identifier => {
    const start = startOffset();
    const name = tokens[at++]!.text;
    return { kind: "Identifier", name, span: spanFrom(start) };
  };
  const binaryLevel = (operators: readonly string[], operand: () => ast.Expr) => (): ast.Expr => {
    const start = startOffset();
    let left = operand();
    while (operators.includes(peek() ?? "")) {
      const operator = tokens[at++]!.text as ast.BinaryOperator;
      const right = operand();
      left = { kind: "Binary", operator, left, right, span: spanFrom(start) };
    }
    return left;
  };
  const unary = (): ast.Expr => {
    const start = startOffset();
    if (peek() !== "-") return power();
    at++;
    const operand = unary();
    return { kind: "Unary", operator: "-", operand, span: spanFrom(start) };
  };
  const power = (): ast.Expr => {
    const start = startOffset();
    const base = primary();
    if (peek() !== "^") return base;
    at++;
    const exponent = unary();
    return { kind: "Binary", operator: "^", left: base, right: exponent, span: spanFrom(start) };
  };
  const primary = (): ast.Expr => {
    const start = startOffset();
    const text = peek() ?? "";
    if (/^[\d.]/.test(text)) {
      at++;
      return { kind: "Number", value: Number(text), span: spanFrom(start) };
    }
    if (text === "(") {
      at++;
      const inner = expr();
      consume(")");
      return inner;
    }
    if (text === "sum") {
      at++;
      consume("(");
      const index = identifier();
      consume("in");
      const from = expr();
      consume("..");
      const to = expr();
      consume(",");
      const body = expr();
      consume(")");
      return { kind: "Sum", index, from, to, body, span: spanFrom(start) };
    }
    const name = identifier();
    if (peek() === "(") {
      at++;
      const args: ast.Expr[] = [];
      while (peek() !== ")") {
        args.push(expr());
        if (peek() === ",") at++;
      }
      consume(")");
      return { kind: "Call", callee: name, args, span: spanFrom(start) };
    }
    if (peek() === "[") {
      at++;
      const index = expr();
      consume("]");
      return { kind: "Index", target: name, index, span: spanFrom(start) };
    }
    return { kind: "Name", name: name.name, span: name.span };
  };
  const multiplicative = binaryLevel(["*", "/"], unary);
  const expr = binaryLevel(["+", "-"], multiplicative);
  const result = expr();
  if (at !== tokens.length) throw new Error(`unparsed input after token ${at} of ${source}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Oracles

const FUNCTIONS: Record<string, (x: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
};

/**
 * The formula's value computed straight from the AST, with none of the symbolic machinery;
 * `observe` sees every intermediate value.
 */
function interpret(
  e: ast.Expr,
  env: SymbolEnv,
  point: readonly number[],
  observe: (value: number) => void = () => {},
  indices = new Map<string, number>(),
): number {
  const value = interpretNode(e, env, point, observe, indices);
  observe(value);
  return value;
}

function interpretNode(
  e: ast.Expr,
  env: SymbolEnv,
  point: readonly number[],
  observe: (value: number) => void,
  indices: Map<string, number>,
): number {
  const go = (node: ast.Expr): number => interpret(node, env, point, observe, indices);
  switch (e.kind) {
    case "Number":
      return e.value;
    case "Name": {
      const variable = env.variables.get(e.name);
      if (indices.has(e.name)) return indices.get(e.name)!;
      if (variable !== undefined) return point[variable.offset]!;
      return env.constants.get(e.name) ?? { pi: Math.PI, e: Math.E }[e.name]!;
    }
    case "Index":
      return point[env.variables.get(e.target.name)!.offset + go(e.index) - 1]!;
    case "Unary":
      return -go(e.operand);
    case "Binary": {
      const [l, r] = [go(e.left), go(e.right)];
      return { "+": l + r, "-": l - r, "*": l * r, "/": l / r, "^": Math.pow(l, r) }[e.operator];
    }
    case "Call":
      return FUNCTIONS[e.callee.name]!(go(e.args[0]!));
    case "Sum": {
      let total = 0;
      for (let i = go(e.from); i <= go(e.to); i++) {
        total += interpret(e.body, env, point, observe, new Map(indices).set(e.index.name, i));
      }
      return total;
    }
  }
}

/** The largest magnitude among the intermediate values of `e` at `point` (NaN counts as infinite). */
function largestIntermediate(e: ast.Expr, env: SymbolEnv, point: readonly number[]): number {
  let largest = 0;
  interpret(e, env, point, (value) => {
    largest = Number.isNaN(value) ? Infinity : Math.max(largest, Math.abs(value));
  });
  return largest;
}

/**
 * The derivative of `f` along coordinate k by central differences with steps h and h/2,
 * Richardson-extrapolated so that steep formulas (sin(x^12)) are resolved too, together with
 * the error bound its rounding implies.
 */
function centralDifference(f: (p: readonly number[]) => number, point: readonly number[], k: number) {
  const h = 1e-6 * Math.max(1, Math.abs(point[k]!));
  let largest = 0;
  const quotient = (step: number): number => {
    const plus = [...point];
    const minus = [...point];
    plus[k]! += step;
    minus[k]! -= step;
    const [fPlus, fMinus] = [f(plus), f(minus)];
    largest = Math.max(largest, Math.abs(fPlus), Math.abs(fMinus));
    return (fPlus - fMinus) / (2 * step);
  };
  const [coarse, fine] = [quotient(h), quotient(h / 2)];
  // Each evaluation of f may be off by many ulps of |f| after cancellation inside it; the
  // quotients divide that error by their step, and the extrapolation weighs them by 4/3 and 1/3.
  const roundingBound = (1e3 * Number.EPSILON * largest) / (h / 2);
  return { value: (4 * fine - coarse) / 3, roundingBound };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randomPoint = (random: () => number, dims: number, radius: number): number[] =>
  Array.from({ length: dims }, () => (2 * random() - 1) * radius);

/** Runs emitted code the way the kernels will: inside `new Function`, with the inputs as parameters. */
function compile(outputs: readonly Expr[], dims: number): (point: readonly number[]) => number[] {
  const inputs = Array.from({ length: dims }, (_, i) => `x${i}`);
  const { statements, results } = emitStraightLine(outputs, inputs, "t");
  const body = `${statements.join("\n")}\nreturn [${results.join(", ")}];`;
  const run = new Function(...inputs, body) as (...coordinates: number[]) => number[];
  return (point) => run(...point);
}

function expectDerivativesMatchFiniteDifferences(
  derivatives: readonly Expr[],
  source: ast.Expr,
  env: SymbolEnv,
  point: readonly number[],
  label = "",
) {
  derivatives.forEach((derivative, k) => {
    const symbolic = evaluate(derivative, point);
    const { value, roundingBound } = centralDifference((p) => interpret(source, env, p), point, k);
    const tolerance = 1e-6 * Math.abs(value) + 1e-7 + roundingBound;
    expect(Math.abs(symbolic - value), `${label} d/dx${k} at (${point.join(", ")})`).toBeLessThanOrEqual(tolerance);
  });
}

// ---------------------------------------------------------------------------------------------
// Benchmark landscapes

const scalarsXY: SymbolEnv = {
  constants: new Map(),
  variables: new Map([
    ["x", { offset: 0 }],
    ["y", { offset: 1 }],
  ]),
};

const vectorEnv = (n: number): SymbolEnv => ({
  constants: new Map([["n", n]]),
  variables: new Map([["x", { offset: 0, size: n }]]),
});

const TWO_D = {
  himmelblau: "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
  threeHumpCamel: "2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2",
  sixHumpCamel: "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
};

const N_D = {
  rastrigin: "10*n + sum(i in 1..n, x[i]^2 - 10*cos(2*pi*x[i]))",
  rosenbrock: "sum(i in 1..n-1, 100*(x[i+1] - x[i]^2)^2 + (1 - x[i])^2)",
  ackley: "-20*exp(-0.2*sqrt(sum(i in 1..n, x[i]^2)/n)) - exp(sum(i in 1..n, cos(2*pi*x[i]))/n) + 20 + e",
};

const landscapes = [
  ...Object.entries(TWO_D).map(([name, source]) => ({ name, source, env: scalarsXY, dims: 2 })),
  ...Object.entries(N_D).flatMap(([name, source]) =>
    [2, 5, 10].map((n) => ({ name: `${name} n=${n}`, source, env: vectorEnv(n), dims: n })),
  ),
];

describe.each(landscapes)("$name", ({ source, env, dims }) => {
  const formula = parse(source);
  const f = fromAst(formula, env);
  const random = mulberry32(dims * 7919 + source.length);
  const points = Array.from({ length: 5 }, () => randomPoint(random, dims, 3));

  it("evaluates as the formula reads", () => {
    for (const point of points) {
      const expected = interpret(formula, env, point);
      expect(Math.abs(evaluate(f, point) - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
    }
  });

  it("has a gradient that matches central finite differences", () => {
    const derivatives = gradient(f, dims);
    for (const point of points) expectDerivativesMatchFiniteDifferences(derivatives, formula, env, point);
  });

  it("compiles to code that computes f and its gradient like evaluate", () => {
    const outputs = [f, ...gradient(f, dims)];
    const run = compile(outputs, dims);
    for (const point of points) {
      const emitted = run(point);
      outputs.forEach((output, k) => {
        const expected = evaluate(output, point);
        expect(Math.abs(emitted[k]! - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
      });
    }
  });
});

describe("known values", () => {
  it("Himmelblau is 0 with an exactly zero gradient at (3, 2)", () => {
    const f = fromAst(parse(TWO_D.himmelblau), scalarsXY);
    expect(evaluate(f, [3, 2])).toBe(0);
    expect(gradient(f, 2).map((g) => evaluate(g, [3, 2]))).toEqual([0, 0]);
    const run = compile([f, ...gradient(f, 2)], 2);
    expect(run([3, 2])).toEqual([0, 0, 0]);
  });

  it("Rastrigin and Rosenbrock have their global minima where the literature puts them", () => {
    const rastrigin = fromAst(parse(N_D.rastrigin), vectorEnv(5));
    expect(evaluate(rastrigin, [0, 0, 0, 0, 0])).toBe(0);
    const rosenbrock = fromAst(parse(N_D.rosenbrock), vectorEnv(5));
    expect(evaluate(rosenbrock, [1, 1, 1, 1, 1])).toBe(0);
    expect(gradient(rosenbrock, 5).map((g) => evaluate(g, [1, 1, 1, 1, 1]))).toEqual([0, 0, 0, 0, 0]);
  });

  it("Ackley is 0 at the origin up to rounding", () => {
    const ackley = fromAst(parse(N_D.ackley), vectorEnv(10));
    expect(Math.abs(evaluate(ackley, new Array(10).fill(0)))).toBeLessThan(1e-14);
  });
});

// ---------------------------------------------------------------------------------------------
// Random formulas over every operator and function, shaped so that no argument leaves its domain.

const randomEnv: SymbolEnv = {
  constants: new Map([["n", 3]]),
  variables: new Map([
    ["x", { offset: 0 }],
    ["y", { offset: 1 }],
    ["v", { offset: 2, size: 3 }],
  ]),
};
const RANDOM_DIMS = 5;

function randomFormula(random: () => number, depth: number, insideSum = false): string {
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)]!;
  // Parenthesized, so that the shapes below mean what they say whatever the operand looks like.
  const sub = (): string => `(${randomFormula(random, depth - 1, insideSum)})`;
  if (depth === 0 || random() < 0.15) {
    const leaves = ["x", "y", "v[1]", "v[2]", "v[3]", "n", "pi", (random() * 6 - 3).toFixed(1)];
    return pick(insideSum ? [...leaves, "v[i]", "i", "v[4 - i]"] : leaves);
  }
  const shapes: (() => string)[] = [
    () => `${sub()} + ${sub()}`,
    () => `${sub()} - ${sub()}`,
    () => `${sub()} * ${sub()}`,
    () => `${sub()} / (1 + ${sub()}^2)`,
    () => `${sub()} / (2 + cos${sub()})`,
    () => `-${sub()}`,
    () => `${sub()}^${pick([0, 1, 2, 3, 4])}`,
    () => `(1 + ${sub()}^2)^${pick(["-1", "-2", "0.5", "-0.5", "1.5", "2.5", "0.3", "-1.7"])}`,
    () => `(1 + ${sub()}^2)^sin${sub()}`,
    () => `${pick(["2", "e", "0.5"])}^sin${sub()}`,
    () => `${pick(["sin", "cos", "tanh", "abs", "exp"])}${sub()}`,
    () => `tan(sin${sub()})`,
    () => `log(1 + ${sub()}^2)`,
    () => `sqrt(1 + ${sub()}^2)`,
    () => `sqrt(${sub()}^2)`,
    () => `sum(i in 1..n, ${randomFormula(random, depth - 1, true)})`,
  ];
  return pick(shapes)();
}

describe("random formulas", () => {
  // A soak run explores further, e.g. SYMBOLIC_SEED=7 SYMBOLIC_CASES=5000 npx vitest run test/compiler/symbolic
  const random = mulberry32(Number(process.env.SYMBOLIC_SEED ?? 20240611));
  const caseCount = Number(process.env.SYMBOLIC_CASES ?? 300);
  const cases: { source: string; formula: ast.Expr; f: Expr; derivatives: Expr[]; points: number[][] }[] = [];
  while (cases.length < caseCount) {
    const source = randomFormula(random, 4);
    const formula = parse(source);
    // Keep points where every intermediate value is moderate: there, neither the reassociations
    // of simplification and code generation nor the steps of finite differences can be amplified
    // (as sin(1e6 * x) would amplify them) past the tolerances below.
    const points = Array.from({ length: 3 }, () => randomPoint(random, RANDOM_DIMS, 2)).filter(
      (point) => largestIntermediate(formula, randomEnv, point) < 1e2,
    );
    if (points.length === 0) continue;
    const f = fromAst(formula, randomEnv);
    cases.push({ source, formula, f, derivatives: gradient(f, RANDOM_DIMS), points });
  }

  it("evaluate after simplification agrees with the direct interpretation of the AST", () => {
    for (const { source, formula, f, points } of cases) {
      for (const point of points) {
        const expected = interpret(formula, randomEnv, point);
        expect(Math.abs(evaluate(f, point) - expected), source).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
      }
    }
  });

  it("derivatives match central finite differences", () => {
    for (const { source, formula, derivatives, points } of cases) {
      for (const point of points) expectDerivativesMatchFiniteDifferences(derivatives, formula, randomEnv, point, source);
    }
  });

  it("emitted code computes the same values as evaluate", () => {
    for (const { source, f, derivatives, points } of cases) {
      const outputs = [f, ...derivatives];
      const run = compile(outputs, RANDOM_DIMS);
      for (const point of points) {
        const emitted = run(point);
        outputs.forEach((output, k) => {
          const expected = evaluate(output, point);
          expect(Math.abs(emitted[k]! - expected), `${source}, output ${k}`).toBeLessThanOrEqual(
            1e-12 * Math.max(1, Math.abs(expected)),
          );
        });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Name resolution and errors

describe("fromAst", () => {
  const vectorAndScalar: SymbolEnv = {
    constants: new Map([["n", 3]]),
    variables: new Map([
      ["x", { offset: 1, size: 3 }],
      ["s", { offset: 0 }],
    ]),
  };

  /** The text under the span of the SymbolicError that converting `source` throws. */
  const blamedText = (source: string, env: SymbolEnv = vectorAndScalar): { text: string; message: string } => {
    try {
      fromAst(parse(source), env);
    } catch (error) {
      expect(error).toBeInstanceOf(SymbolicError);
      const { span, message } = error as SymbolicError;
      return { text: source.slice(span.start.offset, span.end.offset), message };
    }
    throw new Error(`no error for ${source}`);
  };

  it("maps 1-based vector indices onto flattened coordinates after the offset", () => {
    const f = fromAst(parse("s + 10*x[1] + 100*x[n]"), vectorAndScalar);
    expect(evaluate(f, [1, 2, 3, 4])).toBe(1 + 20 + 400);
  });

  it("lets constants and variables shadow pi and e, and sum indices shadow everything", () => {
    const env: SymbolEnv = { constants: new Map([["pi", 3]]), variables: new Map([["e", { offset: 0 }]]) };
    expect(evaluate(fromAst(parse("pi + e"), env), [10])).toBe(13);
    expect(evaluate(fromAst(parse("sum(e in 1..2, e)"), env), [10])).toBe(3);
  });

  it("treats an empty range as an empty sum", () => {
    expect(evaluate(fromAst(parse("sum(i in 3..2, x[i])"), vectorAndScalar), [0, 1, 1, 1])).toBe(0);
  });

  it("reports an unknown name at the name", () => {
    const { text, message } = blamedText("s + 2*foo");
    expect(text).toBe("foo");
    expect(message).toMatch(/unknown name 'foo'/);
  });

  it("reports an index out of range at the index, naming the sum index value", () => {
    const { text, message } = blamedText("sum(i in 1..n, x[i+1])");
    expect(text).toBe("i+1");
    expect(message).toMatch(/index 4 is out of range for 'x'/);
    expect(message).toMatch(/i = 3/);
    expect(blamedText("x[0]").text).toBe("0");
  });

  it("reports the remaining misuses at the offending node", () => {
    const cases: [string, string, RegExp][] = [
      ["x[1.5]", "1.5", /whole number/],
      ["x[s]", "s", /known at compile time/],
      ["s[1]", "s", /scalar/],
      ["n[1]", "n", /not a vector/],
      ["2 * x", "x", /vector of 3 coordinates/],
      ["sin(s, s)", "sin(s, s)", /exactly one argument, got 2/],
      ["cosh(s)", "cosh", /unknown function 'cosh'/],
      ["sum(i in 1..n/2, s)", "n/2", /upper bound .* whole number/],
      ["sum(i in s..3, s)", "s", /lower bound/],
      ["s / (n - 3)", "n - 3", /division by zero/],
      ["s + log(n - 3)", "log(n - 3)", /evaluates to -Infinity/],
      ["sum(i in 1..1000000000, s)", "sum(i in 1..1000000000, s)", /at most/],
    ];
    for (const [source, blamed, message] of cases) {
      const result = blamedText(source);
      expect(result.text, source).toBe(blamed);
      expect(result.message, source).toMatch(message);
    }
  });
});
