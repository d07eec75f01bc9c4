// The shared lexer and parser skip chevrotain's self-checks to start faster; these tests
// run the checks, so an ambiguous or left-recursive rule still fails the suite.
import { expect, it } from "vitest";
import { messages, OptspecParser } from "../../grammar/parser.js";
import { createLexer } from "../../grammar/tokens.js";

it("the token definitions pass chevrotain's validations and optimizations", () => {
  expect(() => createLexer(true)).not.toThrow();
});

it("the grammar passes chevrotain's validations (no ambiguity, no left recursion)", () => {
  expect(() => new OptspecParser(messages, true)).not.toThrow();
});
