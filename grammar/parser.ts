// The .optspec grammar as a pure Chevrotain CstParser: no embedded actions, every part that the
// AST builder reads has a label. Rule names and shapes follow grammar/SYNTAX.md.

import {
  CstParser,
  EOF,
  tokenMatcher,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from "chevrotain";
import {
  AdditiveOperator,
  allTokens,
  Caret,
  Comma,
  ComparisonOperator,
  DotDot,
  Equals,
  Identifier,
  KeywordSet,
  Keywords as K,
  LBrace,
  LBracket,
  LParen,
  Minus,
  MultiplicativeOperator,
  NumberLiteral,
  RBrace,
  RBracket,
  RParen,
  Semicolon,
  StringLiteral,
} from "./tokens.js";

function labelOf(tokenType: TokenType): string {
  return tokenType.LABEL ?? tokenType.name;
}

function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "nothing";
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/**
 * Turns Chevrotain's recognition errors into one-line messages: "expected X but found Y".
 * The parser runs on one declaration at a time, so its EOF is usually the keyword that starts
 * the next declaration; `endOfInput` says what to call it.
 */
export class ReadableMessages implements IParserErrorMessageProvider {
  endOfInput = "end of file";

  describe(token: IToken): string {
    if (token.tokenType === EOF) return this.endOfInput;
    if (KeywordSet.has(token.image) && token.tokenType !== Identifier) return `keyword '${token.image}'`;
    return `'${token.image}'`;
  }

  buildMismatchTokenMessage(options: { expected: TokenType; actual: IToken }): string {
    return `expected ${labelOf(options.expected)} but found ${this.describe(options.actual)}`;
  }

  buildNotAllInputParsedMessage(options: { firstRedundant: IToken }): string {
    return `unexpected ${this.describe(options.firstRedundant)}`;
  }

  buildNoViableAltMessage(options: {
    expectedPathsPerAlt: TokenType[][][];
    actual: IToken[];
    customUserDescription?: string;
  }): string {
    const expected =
      options.customUserDescription ??
      listInWords(firstTokenLabels(options.expectedPathsPerAlt.flat()));
    return `expected ${expected} but found ${this.describe(options.actual[0]!)}`;
  }

  buildEarlyExitMessage(options: {
    expectedIterationPaths: TokenType[][];
    actual: IToken[];
    customUserDescription?: string;
  }): string {
    const expected =
      options.customUserDescription ?? listInWords(firstTokenLabels(options.expectedIterationPaths));
    return `expected ${expected} but found ${this.describe(options.actual[0]!)}`;
  }
}

function firstTokenLabels(paths: readonly TokenType[][]): string[] {
  const labels = paths.flatMap((path) => (path[0] ? [labelOf(path[0])] : []));
  return [...new Set(labels)];
}

/** The grammar; parse one declaration with `parser.input = tokens; parser.declaration()`. */
export class OptspecParser extends CstParser {
  constructor(readonly messages: ReadableMessages) {
    super(allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: "full",
      errorMessageProvider: messages,
    });
    this.performSelfAnalysis();
  }

  // ------------------------------------------------------------------------------------------
  // Declarations

  readonly declaration = this.RULE("declaration", () => {
    this.OR({
      ERR_MSG: "a declaration ('import', 'landscape', 'optimizer', 'procedure' or 'experiment')",
      DEF: [
        { ALT: () => this.SUBRULE(this.importDeclaration) },
        { ALT: () => this.SUBRULE(this.landscapeDeclaration) },
        { ALT: () => this.SUBRULE(this.optimizerDeclaration) },
        { ALT: () => this.SUBRULE(this.procedureDeclaration) },
        { ALT: () => this.SUBRULE(this.experimentDeclaration) },
      ],
    });
  });

  readonly importDeclaration = this.RULE("importDeclaration", () => {
    this.CONSUME(K.import);
    this.CONSUME(StringLiteral, { LABEL: "path" });
  });

  readonly landscapeDeclaration = this.RULE("landscapeDeclaration", () => {
    this.CONSUME(K.landscape);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.OPTION(() => this.SUBRULE(this.parameterList, { LABEL: "params" }));
    this.CONSUME(LBrace);
    this.CONSUME(K.vars);
    this.SUBRULE(this.variable, { LABEL: "variables" });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.variable, { LABEL: "variables" });
    });
    this.CONSUME2(Identifier, { LABEL: "objectiveName" });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: "objective" });
    this.OPTION2(() => {
      this.CONSUME(K.minima);
      this.CONSUME2(LBrace);
      this.MANY2(() => {
        this.SUBRULE(this.minimum, { LABEL: "minima" });
        this.OPTION3(() => {
          this.OR([{ ALT: () => this.CONSUME2(Comma) }, { ALT: () => this.CONSUME(Semicolon) }]);
        });
      });
      this.CONSUME2(RBrace);
    });
    this.CONSUME(RBrace);
  });

  readonly parameterList = this.RULE("parameterList", () => {
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.parameter, { LABEL: "parameters" });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.parameter, { LABEL: "parameters" });
      });
    });
    this.CONSUME(RParen);
  });

  readonly parameter = this.RULE("parameter", () => {
    this.CONSUME(Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.SUBRULE(this.expression, { LABEL: "default" });
    });
  });

  readonly variable = this.RULE("variable", () => {
    this.CONSUME(Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(LBracket);
      this.SUBRULE(this.expression, { LABEL: "size" });
      this.CONSUME(RBracket);
    });
    this.CONSUME(K.in);
    this.SUBRULE(this.interval, { LABEL: "domain" });
  });

  readonly interval = this.RULE("interval", () => {
    this.CONSUME(LBracket);
    this.SUBRULE(this.expression, { LABEL: "lo" });
    this.CONSUME(Comma);
    this.SUBRULE2(this.expression, { LABEL: "hi" });
    this.CONSUME(RBracket);
  });

  readonly minimum = this.RULE("minimum", () => {
    this.CONSUME(Identifier, { LABEL: "name" });
    this.OR([
      { ALT: () => this.CONSUME(K.global, { LABEL: "label" }) },
      { ALT: () => this.CONSUME(K.local, { LABEL: "label" }) },
    ]);
    this.CONSUME(K.at);
    this.SUBRULE(this.point);
  });

  readonly point = this.RULE("point", () => {
    this.OR({
      ERR_MSG: "a point ('(x, y, ...)' or 'all(c)')",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(LParen);
            this.SUBRULE(this.expression, { LABEL: "coordinates" });
            this.MANY(() => {
              this.CONSUME(Comma);
              this.SUBRULE2(this.expression, { LABEL: "coordinates" });
            });
            this.CONSUME(RParen);
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.all);
            this.CONSUME2(LParen);
            this.SUBRULE3(this.expression, { LABEL: "fill" });
            this.CONSUME2(RParen);
          },
        },
      ],
    });
  });

  readonly optimizerDeclaration = this.RULE("optimizerDeclaration", () => {
    this.CONSUME(K.optimizer);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.OR({
      ERR_MSG: "'(', '{' or '='",
      DEF: [
        {
          // An alias names no `as`: the declared name is the alias.
          ALT: () => {
            this.CONSUME(Equals);
            this.CONSUME2(Identifier, { LABEL: "targetName" });
            this.OPTION(() => this.SUBRULE(this.argumentList, { LABEL: "targetArgs" }));
          },
        },
        {
          ALT: () => {
            this.OPTION2(() => this.SUBRULE(this.parameterList, { LABEL: "params" }));
            this.SUBRULE(this.block);
          },
        },
      ],
    });
  });

  readonly procedureDeclaration = this.RULE("procedureDeclaration", () => {
    this.CONSUME(K.procedure);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.OPTION(() => this.SUBRULE(this.parameterList, { LABEL: "params" }));
    this.SUBRULE(this.block);
  });

  readonly experimentDeclaration = this.RULE("experimentDeclaration", () => {
    this.CONSUME(K.experiment);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.clause, { LABEL: "clauses" }));
    this.CONSUME(RBrace);
  });

  // ------------------------------------------------------------------------------------------
  // Statements

  readonly block = this.RULE("block", () => {
    this.CONSUME(LBrace);
    this.MANY(() => {
      this.SUBRULE(this.statement, { LABEL: "statements" });
      this.OPTION(() => this.CONSUME(Semicolon));
    });
    this.CONSUME(RBrace);
  });

  readonly statement = this.RULE("statement", () => {
    this.OR({
      ERR_MSG: "a statement",
      DEF: [
        { ALT: () => this.SUBRULE(this.perturbStatement) },
        { ALT: () => this.SUBRULE(this.ascendStatement) },
        { ALT: () => this.SUBRULE(this.descendStatement) },
        { ALT: () => this.SUBRULE(this.repeatStatement) },
        { ALT: () => this.SUBRULE(this.hopStatement) },
        { ALT: () => this.SUBRULE(this.startStatement) },
        { ALT: () => this.SUBRULE(this.callStatement) },
      ],
    });
  });

  readonly perturbStatement = this.RULE("perturbStatement", () => {
    this.CONSUME(K.perturb);
    this.OR([
      { ALT: () => this.CONSUME(K.gradient, { LABEL: "target" }) },
      { ALT: () => this.CONSUME(K.model, { LABEL: "target" }) },
    ]);
    this.SUBRULE(this.distribution);
    this.OPTION(() => this.SUBRULE(this.guard));
  });

  readonly distribution = this.RULE("distribution", () => {
    this.CONSUME(Identifier, { LABEL: "family" });
    this.SUBRULE(this.argumentList, { LABEL: "args" });
  });

  readonly ascendStatement = this.RULE("ascendStatement", () => {
    this.CONSUME(K.ascend);
    this.SUBRULE(this.expression, { LABEL: "radius" });
    this.OPTION(() => this.CONSUME(K.normalized));
    this.OPTION2(() => this.SUBRULE(this.guard));
  });

  readonly descendStatement = this.RULE("descendStatement", () => {
    this.CONSUME(K.descend);
    this.SUBRULE(this.expression, { LABEL: "rate" });
    this.OPTION(() => {
      this.CONSUME(K.with);
      this.SUBRULE(this.invocation, { LABEL: "method" });
    });
    this.OPTION2(() => this.SUBRULE(this.guard));
  });

  readonly repeatStatement = this.RULE("repeatStatement", () => {
    this.CONSUME(K.repeat);
    this.SUBRULE(this.expression, { LABEL: "times" });
    this.SUBRULE(this.block);
    this.OPTION(() => {
      this.CONSUME(K.until);
      this.SUBRULE(this.condition, { LABEL: "until" });
    });
  });

  readonly hopStatement = this.RULE("hopStatement", () => {
    this.CONSUME(K.hop);
    this.CONSUME(LBrace);
    this.MANY(() => {
      this.SUBRULE(this.statement, { LABEL: "statements" });
      this.OPTION(() => this.CONSUME(Semicolon));
    });
    this.CONSUME(K.accept);
    this.SUBRULE(this.acceptance);
    this.OPTION2(() => this.CONSUME2(Semicolon));
    this.CONSUME(RBrace);
  });

  readonly acceptance = this.RULE("acceptance", () => {
    this.OR({
      ERR_MSG: "an acceptance rule ('always', 'if lower' or 'metropolis(T)')",
      DEF: [
        { ALT: () => this.CONSUME(K.always) },
        {
          ALT: () => {
            this.CONSUME(K.if);
            this.CONSUME(K.lower);
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.metropolis);
            this.CONSUME(LParen);
            this.SUBRULE(this.expression, { LABEL: "temperature" });
            this.CONSUME(RParen);
          },
        },
      ],
    });
  });

  readonly startStatement = this.RULE("startStatement", () => {
    this.CONSUME(K.start);
    this.OR({
      ERR_MSG: "'{' or a statement",
      DEF: [{ ALT: () => this.SUBRULE(this.block) }, { ALT: () => this.SUBRULE(this.statement) }],
    });
  });

  readonly callStatement = this.RULE("callStatement", () => {
    this.CONSUME(Identifier, { LABEL: "callee" });
    this.SUBRULE(this.argumentList, { LABEL: "args" });
    this.OPTION(() => this.SUBRULE(this.guard));
  });

  readonly guard = this.RULE("guard", () => {
    this.CONSUME(K.when);
    this.SUBRULE(this.condition);
  });

  readonly argumentList = this.RULE("argumentList", () => {
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.argument, { LABEL: "arguments" });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.argument, { LABEL: "arguments" });
      });
    });
    this.CONSUME(RParen);
  });

  readonly argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.CONSUME(Identifier, { LABEL: "name" });
      this.CONSUME(Equals);
    });
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  readonly invocation = this.RULE("invocation", () => {
    this.CONSUME(Identifier, { LABEL: "callee" });
    this.OPTION(() => this.SUBRULE(this.argumentList, { LABEL: "args" }));
    this.OPTION2(() => {
      this.CONSUME(K.as);
      this.CONSUME2(Identifier, { LABEL: "alias" });
    });
  });

  // ------------------------------------------------------------------------------------------
  // Experiments

  readonly clause = this.RULE("clause", () => {
    this.OR({
      ERR_MSG:
        "an experiment clause ('on', 'run', 'restarts', 'budget', 'init', 'seed' or 'assign')",
      DEF: [
        { ALT: () => this.SUBRULE(this.onClause) },
        { ALT: () => this.SUBRULE(this.runClause) },
        { ALT: () => this.SUBRULE(this.restartsClause) },
        { ALT: () => this.SUBRULE(this.budgetClause) },
        { ALT: () => this.SUBRULE(this.initClause) },
        { ALT: () => this.SUBRULE(this.seedClause) },
        { ALT: () => this.SUBRULE(this.assignClause) },
      ],
    });
  });

  readonly onClause = this.RULE("onClause", () => {
    this.CONSUME(K.on);
    this.SUBRULE(this.invocation, { LABEL: "targets" });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.invocation, { LABEL: "targets" });
    });
  });

  readonly runClause = this.RULE("runClause", () => {
    this.CONSUME(K.run);
    this.SUBRULE(this.invocation, { LABEL: "optimizers" });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.invocation, { LABEL: "optimizers" });
    });
  });

  readonly restartsClause = this.RULE("restartsClause", () => {
    this.CONSUME(K.restarts);
    this.SUBRULE(this.expression, { LABEL: "count" });
  });

  readonly budgetClause = this.RULE("budgetClause", () => {
    this.CONSUME(K.budget);
    this.SUBRULE(this.expression, { LABEL: "amount" });
    this.OR([
      { ALT: () => this.CONSUME(K.gradients, { LABEL: "unit" }) },
      { ALT: () => this.CONSUME(K.iterations, { LABEL: "unit" }) },
    ]);
  });

  readonly initClause = this.RULE("initClause", () => {
    this.CONSUME(K.init);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.uniform);
          this.OPTION(() => {
            this.CONSUME(K.in);
            this.SUBRULE(this.interval, { LABEL: "box" });
            this.MANY(() => {
              this.CONSUME(Comma);
              this.SUBRULE2(this.interval, { LABEL: "box" });
            });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.at);
          this.SUBRULE(this.point);
        },
      },
    ]);
  });

  readonly seedClause = this.RULE("seedClause", () => {
    this.CONSUME(K.seed);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  readonly assignClause = this.RULE("assignClause", () => {
    this.CONSUME(K.assign);
    this.CONSUME(K.nearest);
    this.CONSUME(K.minimum);
    this.CONSUME(K.within);
    this.SUBRULE(this.expression, { LABEL: "radius" });
  });

  // ------------------------------------------------------------------------------------------
  // Conditions

  readonly condition = this.RULE("condition", () => {
    this.SUBRULE(this.andCondition, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(K.or, { LABEL: "operators" });
      this.SUBRULE2(this.andCondition, { LABEL: "operands" });
    });
  });

  readonly andCondition = this.RULE("andCondition", () => {
    this.SUBRULE(this.notCondition, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(K.and, { LABEL: "operators" });
      this.SUBRULE2(this.notCondition, { LABEL: "operands" });
    });
  });

  readonly notCondition = this.RULE("notCondition", () => {
    this.OR({
      ERR_MSG: "a condition",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(K.not);
            this.SUBRULE(this.notCondition, { LABEL: "negated" });
          },
        },
        {
          // Both this and a comparison may start with '('; the gate decides without backtracking.
          GATE: () => this.parenthesisedConditionAhead(),
          IGNORE_AMBIGUITIES: true,
          ALT: () => {
            this.CONSUME(LParen);
            this.SUBRULE(this.condition, { LABEL: "parenthesised" });
            this.CONSUME(RParen);
          },
        },
        { ALT: () => this.SUBRULE(this.comparison) },
      ],
    });
  });

  readonly comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.expression, { LABEL: "left" });
    this.CONSUME(ComparisonOperator, { LABEL: "operator" });
    this.SUBRULE2(this.expression, { LABEL: "right" });
  });

  /**
   * Expressions never contain comparison operators or and/or/not, and every condition contains a
   * comparison, so a '(' group opens a condition exactly when one of those occurs before its
   * matching ')'. One linear scan, where BACKTRACK would be exponential in the nesting depth.
   */
  private parenthesisedConditionAhead(): boolean {
    let depth = 0;
    for (let distance = 1; ; distance++) {
      const token = this.LA(distance);
      if (token.tokenType === EOF) return false;
      if (tokenMatcher(token, LParen)) depth++;
      else if (tokenMatcher(token, RParen)) {
        depth--;
        if (depth <= 0) return false;
      } else if (
        tokenMatcher(token, ComparisonOperator) ||
        tokenMatcher(token, K.and) ||
        tokenMatcher(token, K.or) ||
        tokenMatcher(token, K.not)
      ) {
        return true;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Expressions: one rule per precedence level, loosest first.

  readonly expression = this.RULE("expression", () => {
    this.SUBRULE(this.multiplicative, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(AdditiveOperator, { LABEL: "operators" });
      this.SUBRULE2(this.multiplicative, { LABEL: "operands" });
    });
  });

  readonly multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(MultiplicativeOperator, { LABEL: "operators" });
      this.SUBRULE2(this.unary, { LABEL: "operands" });
    });
  });

  readonly unary = this.RULE("unary", () => {
    this.OR({
      ERR_MSG: "an expression",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(Minus);
            this.SUBRULE(this.unary, { LABEL: "negated" });
          },
        },
        { ALT: () => this.SUBRULE(this.power) },
      ],
    });
  });

  // The exponent is a `unary`, which makes '^' right-associative and allows `2^-1`, while the
  // base is a `primary`, which makes `-x^2` mean `-(x^2)`.
  readonly power = this.RULE("power", () => {
    this.SUBRULE(this.primary, { LABEL: "base" });
    this.OPTION(() => {
      this.CONSUME(Caret);
      this.SUBRULE(this.unary, { LABEL: "exponent" });
    });
  });

  readonly primary = this.RULE("primary", () => {
    this.OR({
      ERR_MSG: "an expression",
      DEF: [
        { ALT: () => this.CONSUME(NumberLiteral, { LABEL: "number" }) },
        {
          ALT: () => {
            this.CONSUME(LParen);
            this.SUBRULE(this.expression, { LABEL: "parenthesised" });
            this.CONSUME(RParen);
          },
        },
        { ALT: () => this.SUBRULE(this.sumExpression) },
        { ALT: () => this.SUBRULE(this.nameExpression) },
      ],
    });
  });

  readonly sumExpression = this.RULE("sumExpression", () => {
    this.CONSUME(K.sum);
    this.CONSUME(LParen);
    this.CONSUME(Identifier, { LABEL: "index" });
    this.CONSUME(K.in);
    this.SUBRULE(this.expression, { LABEL: "from" });
    this.CONSUME(DotDot);
    this.SUBRULE2(this.expression, { LABEL: "to" });
    this.CONSUME(Comma);
    this.SUBRULE3(this.expression, { LABEL: "body" });
    this.CONSUME(RParen);
  });

  // A bare name, a call `f(a, b)` or an element `x[i]`: one rule so the name is consumed once.
  readonly nameExpression = this.RULE("nameExpression", () => {
    this.CONSUME(Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(LParen, { LABEL: "call" });
            this.OPTION2(() => {
              this.SUBRULE(this.expression, { LABEL: "args" });
              this.MANY(() => {
                this.CONSUME(Comma);
                this.SUBRULE2(this.expression, { LABEL: "args" });
              });
            });
            this.CONSUME(RParen);
          },
        },
        {
          ALT: () => {
            this.CONSUME(LBracket);
            this.SUBRULE3(this.expression, { LABEL: "index" });
            this.CONSUME(RBracket);
          },
        },
      ]);
    });
  });
}

/** Tokens that only ever start a declaration: safe points to split a file for recovery. */
export const declarationKeywords: readonly TokenType[] = [
  K.import,
  K.landscape,
  K.optimizer,
  K.procedure,
  K.experiment,
];

/** The parser's message provider; `parse` sets its `endOfInput` before each declaration. */
export const messages = new ReadableMessages();

/** The one parser instance, reused for every parse (building it analyses the whole grammar). */
export const parser = new OptspecParser(messages);

