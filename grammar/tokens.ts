// The token vocabulary of .optspec and its lexer.
// Every token type carries a LABEL in the form users read in messages (`']'`, `'descend'`,
// `a name`), so parser errors never show internal token names.

import { createToken, Lexer, type TokenType } from "chevrotain";

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  label: "a name",
});

// Keywords are listed here once; the lexer orders them longest first so that a keyword which is
// a prefix of another (`in`/`init`, `gradient`/`gradients`) never wins over the longer one.
const keywordWords = [
  "import", "landscape", "optimizer", "procedure", "experiment", "vars", "in", "minima",
  "global", "local", "at", "all", "perturb", "gradient", "model", "when", "ascend", "normalized",
  "descend", "with", "repeat", "until", "hop", "accept", "always", "if", "lower", "metropolis",
  "start", "on", "run", "restarts", "budget", "gradients", "iterations", "init", "uniform",
  "seed", "assign", "nearest", "minimum", "within", "sum", "and", "or", "not", "as", "record", "every",
  // hypotheses
  "hypothesis", "adjust", "expect", "observe", "significant", "confidence", "for", "each",
  // tasks
  "task", "trajectories", "snapshot", "population", "epochs",
] as const;

export type Keyword = (typeof keywordWords)[number];

function keyword(word: Keyword): TokenType {
  return createToken({
    name: `Keyword_${word}`,
    pattern: new RegExp(word),
    label: `'${word}'`,
    longer_alt: Identifier,
  });
}

/** The token type of each keyword, by its spelling. */
export const Keywords = Object.fromEntries(keywordWords.map((word) => [word, keyword(word)])) as {
  readonly [W in Keyword]: TokenType;
};

export const KeywordSet: ReadonlySet<string> = new Set(keywordWords);

// Exact decimal grammar from SYNTAX.md: a digit must follow a '.', which keeps `1..n` as 1 .. n.
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
});

// Any backslash escape is lexed so that a bad one is reported where it is, not as a broken string.
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  label: "a string",
});

// A string cut off by the end of its line; it still acts as a string for the parser so that one
// missing quote costs one E001 and not a cascade of syntax errors.
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\.)*\\?/,
  categories: [StringLiteral],
  label: "a string",
});

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /\s+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/** Lexer group that collects comments: the parser never sees them, `format` puts them back. */
export const COMMENTS = "comments";

export const LineComment = createToken({
  name: "LineComment",
  pattern: /\/\/[^\r\n]*/,
  group: COMMENTS,
});

export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: COMMENTS,
  line_breaks: true,
  start_chars_hint: ["/"],
});

/** Lexer group that collects comments opened with `/*` and never closed. */
export const UNTERMINATED_COMMENTS = "unterminatedComments";

export const UnterminatedComment = createToken({
  name: "UnterminatedComment",
  pattern: /\/\*[\s\S]*/,
  group: UNTERMINATED_COMMENTS,
  line_breaks: true,
  start_chars_hint: ["/"],
});

function punctuation(name: string, text: string, categories?: TokenType[]): TokenType {
  const escaped = text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return createToken({
    name,
    pattern: new RegExp(escaped),
    label: `'${text}'`,
    ...(categories ? { categories } : {}),
  });
}

// Categories let one CONSUME accept a family of operators; the CST still records which one.
export const AdditiveOperator = createToken({ name: "AdditiveOperator", pattern: Lexer.NA, label: "'+' or '-'" });
export const MultiplicativeOperator = createToken({
  name: "MultiplicativeOperator",
  pattern: Lexer.NA,
  label: "'*' or '/'",
});
export const ComparisonOperator = createToken({
  name: "ComparisonOperator",
  pattern: Lexer.NA,
  label: "a comparison operator ('<', '<=', '>', '>=', '==' or '!=')",
});
/** The comparisons a hypothesis may make between two summaries: no equality tests. */
export const OrderOperator = createToken({
  name: "OrderOperator",
  pattern: Lexer.NA,
  label: "a comparison ('<', '<=', '>' or '>=')",
});

export const Plus = punctuation("Plus", "+", [AdditiveOperator]);
export const Minus = punctuation("Minus", "-", [AdditiveOperator]);
export const Star = punctuation("Star", "*", [MultiplicativeOperator]);
export const Slash = punctuation("Slash", "/", [MultiplicativeOperator]);
export const Caret = punctuation("Caret", "^");
export const LessEqual = punctuation("LessEqual", "<=", [ComparisonOperator, OrderOperator]);
export const Less = punctuation("Less", "<", [ComparisonOperator, OrderOperator]);
export const GreaterEqual = punctuation("GreaterEqual", ">=", [ComparisonOperator, OrderOperator]);
export const Greater = punctuation("Greater", ">", [ComparisonOperator, OrderOperator]);
export const EqualEqual = punctuation("EqualEqual", "==", [ComparisonOperator]);
export const NotEqual = punctuation("NotEqual", "!=", [ComparisonOperator]);
export const Equals = punctuation("Equals", "=");
export const DotDot = punctuation("DotDot", "..");
export const Dot = punctuation("Dot", ".");
export const Colon = punctuation("Colon", ":");
export const Comma = punctuation("Comma", ",");
export const Semicolon = punctuation("Semicolon", ";");
export const LParen = punctuation("LParen", "(");
export const RParen = punctuation("RParen", ")");
export const LBracket = punctuation("LBracket", "[");
export const RBracket = punctuation("RBracket", "]");
export const LBrace = punctuation("LBrace", "{");
export const RBrace = punctuation("RBrace", "}");

const keywordsLongestFirst = [...keywordWords]
  .sort((a, b) => b.length - a.length)
  .map((word) => Keywords[word]);

// Order matters: the lexer takes the first pattern that matches, not the longest, so comments
// come before '/', two-character operators before their one-character prefixes, '..' before
// numbers like '.5', numbers before '.', and keywords before identifiers.
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringLiteral,
  UnterminatedString,
  DotDot,
  NumberLiteral,
  ...keywordsLongestFirst,
  Identifier,
  LessEqual,
  GreaterEqual,
  EqualEqual,
  NotEqual,
  Less,
  Greater,
  Equals,
  Plus,
  Minus,
  Star,
  Slash,
  Caret,
  Dot,
  Colon,
  Comma,
  Semicolon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  AdditiveOperator,
  MultiplicativeOperator,
  ComparisonOperator,
  OrderOperator,
];

/** The one lexer instance; `tokenize` never throws, problems come back in `errors` and groups. */
/** Builds the lexer; `validate` checks the token definitions (tests do; the shared one skips it to start faster). */
export function createLexer(validate = false): Lexer {
  return new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: validate, skipValidations: !validate, safeMode: !validate });
}

export const optspecLexer = createLexer();
