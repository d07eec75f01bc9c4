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
  Colon,
  Comma,
  ComparisonOperator,
  Dot,
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
  OrderOperator,
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
  /**
   * `validate` runs chevrotain's grammar validations (ambiguities, left recursion), which
   * take most of the construction time: the tests build a validated parser, and the shared
   * instance skips them so every `optc` command starts faster.
   */
  constructor(
    readonly messages: ReadableMessages,
    validate = false,
  ) {
    super(allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: "full",
      errorMessageProvider: messages,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  // ------------------------------------------------------------------------------------------
  // Declarations

  readonly declaration = this.RULE("declaration", () => {
    this.OR({
      ERR_MSG:
        "a declaration ('import', 'landscape', 'task', 'optimizer', 'procedure', 'experiment' or 'hypothesis')",
      DEF: [
        { ALT: () => this.SUBRULE(this.importDeclaration) },
        { ALT: () => this.SUBRULE(this.landscapeDeclaration) },
        { ALT: () => this.SUBRULE(this.taskDeclaration) },
        { ALT: () => this.SUBRULE(this.optimizerDeclaration) },
        { ALT: () => this.SUBRULE(this.procedureDeclaration) },
        { ALT: () => this.SUBRULE(this.experimentDeclaration) },
        { ALT: () => this.SUBRULE(this.hypothesisDeclaration) },
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

  // A task is a list of settings `name value`; which names exist and what they take is the
  // checker's business (so a misspelt setting gets a "did you mean", not a syntax error).
  readonly taskDeclaration = this.RULE("taskDeclaration", () => {
    this.CONSUME(K.task);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.taskSetting, { LABEL: "settings" }));
    this.CONSUME(RBrace);
  });

  // `model` is a keyword (of `perturb model`), and also a task setting.
  readonly taskSetting = this.RULE("taskSetting", () => {
    this.OR([
      { ALT: () => this.CONSUME(Identifier, { LABEL: "name" }) },
      { ALT: () => this.CONSUME(K.model, { LABEL: "name" }) },
    ]);
    this.SUBRULE(this.taskValue, { LABEL: "value" });
  });

  // A value is a string, a word with optional arguments (`mnist(train = 8000)`, `accuracy`),
  // a list of numbers, or a number expression; a leading name always means a word.
  readonly taskValue = this.RULE("taskValue", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      ERR_MSG: "a value (a name, a call like 'mnist(train = 8000)', a string, a list or a number)",
      DEF: [
        { ALT: () => this.CONSUME(StringLiteral, { LABEL: "string" }) },
        {
          ALT: () => {
            this.CONSUME(Identifier, { LABEL: "word" });
            this.OPTION(() => {
              this.CONSUME(LParen);
              this.OPTION2(() => {
                this.SUBRULE(this.taskArgument, { LABEL: "args" });
                this.MANY(() => {
                  this.CONSUME(Comma);
                  this.SUBRULE2(this.taskArgument, { LABEL: "args" });
                });
              });
              this.CONSUME(RParen);
            });
          },
        },
        { ALT: () => this.SUBRULE(this.taskList, { LABEL: "list" }) },
        { ALT: () => this.SUBRULE(this.expression, { LABEL: "number" }) },
      ],
    });
  });

  readonly taskList = this.RULE("taskList", () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: "items" });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression, { LABEL: "items" });
      });
    });
    this.CONSUME(RBracket);
  });

  // `name = value` or a positional value; LL(2) tells a named argument by its '='.
  readonly taskArgument = this.RULE("taskArgument", () => {
    this.OPTION(() => {
      this.CONSUME(Identifier, { LABEL: "name" });
      this.CONSUME(Equals);
    });
    this.SUBRULE(this.taskValue, { LABEL: "value" });
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

  // The keyword `uniform` is accepted as a family too, so `uniform(1)` gets the compiler's
  // "unknown distribution" with a suggestion instead of a syntax error.
  readonly distribution = this.RULE("distribution", () => {
    this.OR([
      { ALT: () => this.CONSUME(Identifier, { LABEL: "family" }) },
      { ALT: () => this.CONSUME(K.uniform, { LABEL: "family" }) },
    ]);
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
        "an experiment clause ('on', 'run', 'restarts', 'trajectories', 'budget', 'init', 'seed', 'assign', 'record', 'snapshot' or 'population')",
      DEF: [
        { ALT: () => this.SUBRULE(this.onClause) },
        { ALT: () => this.SUBRULE(this.runClause) },
        { ALT: () => this.SUBRULE(this.restartsClause) },
        { ALT: () => this.SUBRULE(this.budgetClause) },
        { ALT: () => this.SUBRULE(this.initClause) },
        { ALT: () => this.SUBRULE(this.seedClause) },
        { ALT: () => this.SUBRULE(this.assignClause) },
        { ALT: () => this.SUBRULE(this.recordClause) },
        { ALT: () => this.SUBRULE(this.trajectoriesClause) },
        { ALT: () => this.SUBRULE(this.snapshotClause) },
        { ALT: () => this.SUBRULE(this.populationClause) },
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
      { ALT: () => this.CONSUME(K.epochs, { LABEL: "unit" }) },
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

  readonly recordClause = this.RULE("recordClause", () => {
    this.CONSUME(K.record);
    this.CONSUME(K.every);
    this.SUBRULE(this.expression, { LABEL: "every" });
    this.CONSUME(K.gradients);
  });

  readonly trajectoriesClause = this.RULE("trajectoriesClause", () => {
    this.CONSUME(K.trajectories);
    this.SUBRULE(this.expression, { LABEL: "count" });
  });

  // `snapshot every N steps|epochs|gradients`: the unit is a name the checker reads
  // (`step`/`steps`, `epoch`/`epochs`, `gradients`), so `every 1 epoch` reads naturally.
  readonly snapshotClause = this.RULE("snapshotClause", () => {
    this.CONSUME(K.snapshot);
    this.CONSUME(K.every);
    this.SUBRULE(this.expression, { LABEL: "every" });
    this.OR([
      { ALT: () => this.CONSUME(Identifier, { LABEL: "unit" }) },
      { ALT: () => this.CONSUME(K.epochs, { LABEL: "unit" }) },
      { ALT: () => this.CONSUME(K.gradients, { LABEL: "unit" }) },
      { ALT: () => this.CONSUME(K.iterations, { LABEL: "unit" }) },
    ]);
  });

  // `population SetA = lowest 10 by loss per trajectory`, `= last 5`, `= all`: the selector
  // and the `by …`/`per …` words are names the checker reads (`by` is also an adjust method).
  readonly populationClause = this.RULE("populationClause", () => {
    this.CONSUME(K.population);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(Equals);
    this.OR([
      { ALT: () => this.CONSUME(K.all, { LABEL: "selector" }) },
      {
        ALT: () => {
          this.CONSUME2(Identifier, { LABEL: "selector" });
          this.SUBRULE(this.expression, { LABEL: "count" });
        },
      },
    ]);
    this.MANY(() => {
      this.CONSUME3(Identifier, { LABEL: "modifierWords" });
      this.CONSUME4(Identifier, { LABEL: "modifierValues" });
    });
  });

  // ------------------------------------------------------------------------------------------
  // Hypotheses

  readonly hypothesisDeclaration = this.RULE("hypothesisDeclaration", () => {
    this.CONSUME(K.hypothesis);
    this.CONSUME(StringLiteral, { LABEL: "name" });
    this.CONSUME(LBrace);
    this.OPTION(() => this.SUBRULE(this.adjustClause, { LABEL: "adjust" }));
    this.MANY(() => this.SUBRULE(this.claim, { LABEL: "claims" }));
    this.CONSUME(RBrace);
  });

  readonly adjustClause = this.RULE("adjustClause", () => {
    this.CONSUME(K.adjust);
    this.CONSUME(Identifier, { LABEL: "method" });
  });

  readonly claim = this.RULE("claim", () => {
    this.OR({
      ERR_MSG: "a claim ('expect', 'observe' or 'for each')",
      DEF: [
        { ALT: () => this.SUBRULE(this.expectClaim) },
        { ALT: () => this.SUBRULE(this.observeClaim) },
        { ALT: () => this.SUBRULE(this.forEachClaim) },
      ],
    });
  });

  // A number can only be compared; a statistical call may be a test (then `significant at`
  // follows) or a summary (then a comparison follows). Deciding after the call, instead of
  // before it, needs no lookahead over the call's arguments.
  readonly expectClaim = this.RULE("expectClaim", () => {
    this.CONSUME(K.expect);
    this.OR({
      ERR_MSG: "a statistical call or a number",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(NumberLiteral, { LABEL: "leftNumber" });
            this.SUBRULE(this.comparisonTail, { LABEL: "comparison" });
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.statCall, { LABEL: "left" });
            this.OR2({
              ERR_MSG: "'significant', 'not significant' or a comparison ('<', '<=', '>' or '>=')",
              DEF: [
                { ALT: () => this.SUBRULE(this.significance, { LABEL: "outcome" }) },
                { ALT: () => this.SUBRULE2(this.comparisonTail, { LABEL: "comparison" }) },
              ],
            });
          },
        },
      ],
    });
  });

  // As `expect`, but the outcome is optional: `observe CALL` alone is a ValueObservation.
  readonly observeClaim = this.RULE("observeClaim", () => {
    this.CONSUME(K.observe);
    this.OR({
      ERR_MSG: "a statistical call or a number",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(NumberLiteral, { LABEL: "leftNumber" });
            this.SUBRULE(this.comparisonTail, { LABEL: "comparison" });
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.statCall, { LABEL: "left" });
            this.OPTION(() => {
              this.OR2([
                { ALT: () => this.SUBRULE(this.significance, { LABEL: "outcome" }) },
                { ALT: () => this.SUBRULE2(this.comparisonTail, { LABEL: "comparison" }) },
              ]);
            });
          },
        },
      ],
    });
  });

  readonly comparisonTail = this.RULE("comparisonTail", () => {
    this.CONSUME(OrderOperator, { LABEL: "operator" });
    this.SUBRULE(this.summary, { LABEL: "right" });
    this.OPTION(() => {
      this.CONSUME(K.with);
      this.CONSUME(K.confidence);
      this.CONSUME(NumberLiteral, { LABEL: "confidence" });
    });
  });

  readonly summary = this.RULE("summary", () => {
    this.OR({
      ERR_MSG: "a statistical call or a number",
      DEF: [
        { ALT: () => this.CONSUME(NumberLiteral, { LABEL: "number" }) },
        { ALT: () => this.SUBRULE(this.statCall) },
      ],
    });
  });

  readonly significance = this.RULE("significance", () => {
    this.OPTION(() => this.CONSUME(K.not));
    this.CONSUME(K.significant);
    this.CONSUME(K.at);
    this.CONSUME(NumberLiteral, { LABEL: "alpha" });
  });

  readonly forEachClaim = this.RULE("forEachClaim", () => {
    this.CONSUME(K.for);
    this.CONSUME(K.each);
    this.OR({
      ERR_MSG: "'optimizer', 'landscape' or 'task'",
      DEF: [
        { ALT: () => this.CONSUME(K.optimizer, { LABEL: "variable" }) },
        { ALT: () => this.CONSUME(K.landscape, { LABEL: "variable" }) },
        { ALT: () => this.CONSUME(K.task, { LABEL: "variable" }) },
      ],
    });
    this.CONSUME(K.in);
    this.CONSUME(Identifier, { LABEL: "experiment" });
    this.OR2({
      ERR_MSG: "':' or '{'",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(Colon);
            this.SUBRULE(this.claim, { LABEL: "claims" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(LBrace);
            this.MANY(() => this.SUBRULE2(this.claim, { LABEL: "claims" }));
            this.CONSUME(RBrace);
          },
        },
      ],
    });
  });

  // `uniform` is a keyword (of `init uniform`) but also names a distribution: `uniform(GM1, GM2)`.
  readonly statCall = this.RULE("statCall", () => {
    this.OR([
      { ALT: () => this.CONSUME(Identifier, { LABEL: "callee" }) },
      { ALT: () => this.CONSUME(K.uniform, { LABEL: "callee" }) },
    ]);
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.statArgument, { LABEL: "args" });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.statArgument, { LABEL: "args" });
      });
    });
    this.CONSUME(RParen);
  });

  // Four alternatives start with a name; the token after it ('.', '=', '(' or neither) decides
  // (LL(2)). The bare name comes last: its one-token path is a prefix of the others'.
  readonly statArgument = this.RULE("statArgument", () => {
    this.OR({
      ERR_MSG: "a population ('E.O on L'), an option ('name = value'), a call, a name or a number",
      DEF: [
        { ALT: () => this.SUBRULE(this.population) },
        { ALT: () => this.SUBRULE(this.statOption) },
        { ALT: () => this.SUBRULE(this.statCall) },
        { ALT: () => this.CONSUME(NumberLiteral, { LABEL: "number" }) },
        { ALT: () => this.CONSUME(Identifier, { LABEL: "name" }) },
      ],
    });
  });

  // `optimizer` and `landscape` stand for the loop variable of an enclosing `for each`.
  readonly population = this.RULE("population", () => {
    this.CONSUME(Identifier, { LABEL: "experiment" });
    this.CONSUME(Dot);
    this.OR([
      { ALT: () => this.CONSUME2(Identifier, { LABEL: "optimizer" }) },
      { ALT: () => this.CONSUME(K.optimizer, { LABEL: "optimizer" }) },
    ]);
    this.OPTION3(() => {
      this.CONSUME(K.on);
      this.OR2([
        { ALT: () => this.CONSUME3(Identifier, { LABEL: "landscape" }) },
        { ALT: () => this.CONSUME(K.landscape, { LABEL: "landscape" }) },
        { ALT: () => this.CONSUME(K.task, { LABEL: "landscape" }) },
      ]);
      this.OPTION(() => {
        this.CONSUME2(Dot);
        this.CONSUME4(Identifier, { LABEL: "attribute" });
        this.OPTION2(() => {
          this.CONSUME3(Dot);
          this.CONSUME5(Identifier, { LABEL: "attribute" });
        });
      });
    });
  });

  readonly statOption = this.RULE("statOption", () => {
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(Equals);
    this.OR({
      ERR_MSG: "a name or a number",
      DEF: [
        { ALT: () => this.CONSUME2(Identifier, { LABEL: "value" }) },
        { ALT: () => this.CONSUME(NumberLiteral, { LABEL: "value" }) },
      ],
    });
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

/** Tokens that start a declaration: safe points to split a file for recovery. */
export const declarationKeywords: readonly TokenType[] = [
  K.import,
  K.landscape,
  K.task,
  K.optimizer,
  K.procedure,
  K.experiment,
  K.hypothesis,
];

/**
 * Whether `tokens[index]` starts a declaration. Only `optimizer`, `landscape` and `task` also occur
 * inside one, in hypotheses: as the loop variable of `for each optimizer in E` and in populations
 * (`E.optimizer on landscape`). There they follow `each`, '.' or `on` and are not followed by a
 * name; a declaration's keyword is followed by its name (or, when broken, by anything but these).
 */
export function startsDeclaration(tokens: readonly IToken[], index: number): boolean {
  const token = tokens[index];
  if (!token || !declarationKeywords.includes(token.tokenType)) return false;
  if (token.tokenType !== K.optimizer && token.tokenType !== K.landscape && token.tokenType !== K.task) return true;
  const previous = tokens[index - 1]?.tokenType;
  if (previous === K.each || previous === Dot) return false;
  return !(previous === K.on && tokens[index + 1]?.tokenType !== Identifier);
}

/** The parser's message provider; `parse` sets its `endOfInput` before each declaration. */
export const messages = new ReadableMessages();

/** The one parser instance, reused for every parse (building it analyses the whole grammar). */
export const parser = new OptspecParser(messages);

