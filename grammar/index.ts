// The grammar layer's public face: text -> AST with problems and comments, AST -> canonical text,
// text -> canonical text with its comments.

import { tokenMatcher, type IToken } from "chevrotain";
import type { Declaration, Program, Span } from "./ast.js";
import { AstBuilder, SourceText } from "./build-ast.js";
import { isLineComment, planComments, type Comment } from "./comments.js";
import { messages, parser, startsDeclaration } from "./parser.js";
import { printProgram } from "./print.js";
import { COMMENTS, optspecLexer, StringLiteral, UNTERMINATED_COMMENTS, UnterminatedString } from "./tokens.js";

export * from "./ast.js";
export type { Comment } from "./comments.js";
export { print } from "./print.js";

/** A problem found while reading a file. E001: lexical error, E002: syntax error. */
export interface SyntaxProblem {
  readonly code: "E001" | "E002";
  readonly message: string;
  readonly span: Span;
}

export interface ParseResult {
  readonly program: Program;
  readonly problems: readonly SyntaxProblem[];
  /** Every line and block comment, in source order (an unterminated block comment is a problem). */
  readonly comments: readonly Comment[];
}

/**
 * Reads one .optspec file; never throws. The program holds every declaration that could be
 * built, even when problems are reported, so later passes still see the rest of the file.
 */
export function parse(text: string, file: string): ParseResult {
  const { program, problems, comments } = read(text, file);
  return { program, problems, comments };
}

export interface FormatResult {
  /** The canonical text with every comment kept; undefined when the file has problems. */
  readonly formatted: string | undefined;
  readonly problems: readonly SyntaxProblem[];
}

/**
 * `optc fmt`: the canonical text of a file (as `print`) with all its comments, each exactly once
 * and in order (placement: grammar/comments.ts, SYNTAX.md). A file with problems is not formatted:
 * what recovery dropped would be lost. Formatting is idempotent and keeps the AST (spans aside).
 */
export function format(text: string, file: string): FormatResult {
  const { program, problems, comments, commentTokens, tokens, source } = read(text, file);
  if (problems.length > 0) return { formatted: undefined, problems };
  const placed = comments.map((comment, index) => ({ ...comment, isLineComment: isLineComment(commentTokens[index]!) }));
  return { formatted: printProgram(program, planComments(program, placed, tokens, source)), problems };
}

interface Read extends ParseResult {
  readonly tokens: readonly IToken[];
  readonly commentTokens: readonly IToken[];
  readonly source: SourceText;
}

function read(text: string, file: string): Read {
  const source = new SourceText(text, file);
  const lexed = optspecLexer.tokenize(text);
  const problems: SyntaxProblem[] = lexicalProblems(source, lexed.tokens, lexed.errors, lexed.groups);
  const builder = new AstBuilder(source, (message, span) => problems.push({ code: "E002", message, span }));
  const declarations: Declaration[] = [];

  // Each declaration is parsed on its own: declaration keywords appear nowhere else, so they are
  // certain resynchronisation points, and a broken declaration cannot swallow the next one.
  for (const { tokens, next } of splitAtDeclarations(lexed.tokens)) {
    messages.endOfInput = next ? messages.describe(next) : "end of file";
    parser.input = tokens;
    const cst = parser.declaration();
    let previousErrorIndex = -Infinity;
    for (const error of parser.errors) {
      const offending = error.token;
      const index = realOffset(offending) ? tokens.indexOf(offending) : tokens.length;
      // As in yacc, errors right after another one are usually its echo from the recovery:
      // report a new one only once the parser has got a few tokens past the previous one.
      const isEcho = index - previousErrorIndex <= ECHO_DISTANCE;
      previousErrorIndex = index;
      if (isEcho) continue;
      const span = index < tokens.length ? source.tokenSpan(offending) : next ? source.tokenSpan(next) : source.endOfFile();
      problems.push({ code: "E002", message: error.message, span });
    }
    const declaration = builder.visit(cst) as Declaration | undefined;
    if (declaration) declarations.push(declaration);
  }

  const commentTokens = lexed.groups[COMMENTS] ?? [];
  return {
    program: { kind: "Program", declarations, span: source.span(0, text.length) },
    problems: oneProblemPerPosition(problems),
    comments: commentTokens.map((token) => ({ text: token.image, span: source.tokenSpan(token) })),
    commentTokens,
    tokens: lexed.tokens,
    source,
  };
}

/** A deep copy of an AST (or any JSON-like value) without `span` and `...Span` keys, to compare trees. */
export function withoutSpans(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutSpans);
  if (node === null || typeof node !== "object") return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key !== "span" && !key.endsWith("Span")) copy[key] = withoutSpans(value);
  }
  return copy;
}

/** How many tokens past a syntax error the next one is taken for an echo of it. */
const ECHO_DISTANCE = 4;

function realOffset(token: IToken): boolean {
  return !token.isInsertedInRecovery && Number.isFinite(token.startOffset);
}

function* splitAtDeclarations(tokens: readonly IToken[]): Generator<{ tokens: IToken[]; next?: IToken }> {
  let start = 0;
  for (let i = 1; i <= tokens.length; i++) {
    const token = tokens[i];
    if (token && !startsDeclaration(tokens, i)) continue;
    yield { tokens: tokens.slice(start, i), ...(token ? { next: token } : {}) };
    start = i;
  }
}

function lexicalProblems(
  source: SourceText,
  tokens: readonly IToken[],
  errors: readonly { offset: number; length: number }[],
  groups: Record<string, IToken[]>,
): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const lexical = (message: string, start: number, end: number) =>
    problems.push({ code: "E001", message, span: source.span(start, end) });

  for (const { offset, length } of errors) {
    const characters = source.text.slice(offset, offset + length);
    lexical(`unexpected character${length > 1 ? "s" : ""} '${characters}'`, offset, offset + length);
  }
  for (const comment of groups[UNTERMINATED_COMMENTS] ?? []) {
    lexical("unterminated comment: '/*' has no matching '*/'", comment.startOffset, comment.startOffset + 2);
  }
  for (const token of tokens) {
    if (!tokenMatcher(token, StringLiteral)) continue;
    if (token.tokenType === UnterminatedString) {
      lexical("unterminated string: missing closing '\"'", token.startOffset, token.startOffset + token.image.length);
    }
    for (const escape of token.image.matchAll(/\\(.?)/g)) {
      if (escape[1] === '"' || escape[1] === "\\" || escape[1] === "") continue;
      const start = token.startOffset + escape.index;
      lexical(`unknown escape '${escape[0]}' in string (only \\" and \\\\ are allowed)`, start, start + escape[0].length);
    }
  }
  return problems;
}

// A recovered parse can report the same spot twice (e.g. a mismatch, then the resync after it).
function oneProblemPerPosition(problems: readonly SyntaxProblem[]): SyntaxProblem[] {
  const seen = new Set<number>();
  return [...problems]
    .sort((a, b) => a.span.start.offset - b.span.start.offset)
    .filter((problem) => {
      if (seen.has(problem.span.start.offset)) return false;
      seen.add(problem.span.start.offset);
      return true;
    });
}
