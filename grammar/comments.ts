// Where `format` puts comments. The AST has no comments, so each one is hung on the printed line
// item or braced block it sits in or next to, decided from source offsets and lines alone:
//
//   - a comment inside an item's block goes on in that block, recursively;
//   - a comment that starts on the line where the previous item of its block ends (or where the
//     previous trailing comment of that item ends) trails that item: it is printed at the end of
//     the item's last printed line;
//   - otherwise it leads the next item of its block, on its own line(s) above it;
//   - with no next item it is dangling: on its own line(s) before the block's `}` (or, at the top
//     level, at the end of the file);
//   - a comment in a block's head (before its `{`), or after the `{` on its line before any item,
//     is printed after the `{`;
//   - a comment inside an item that has no block there (inside an expression, a clause, between
//     the `}` of a `repeat` and its `until`) trails the item.
//
// Text after a `//` comment would become part of it, so in a trailing or header list only the
// last comment may be a `//` comment: the rest lead the next item (or dangle). A comment printed
// on its own line keeps one blank line above it, and an item one blank line below its comments,
// where the source had at least one; never at the start of a block. All of these rules give the
// same answer on their own output, which is what makes formatting idempotent.
//
// The items and blocks are exactly those the printer prints (see CommentPlan in print.ts); braces
// the AST does not record are found among the tokens.

import type { IToken, TokenType } from "chevrotain";
import { match } from "ts-pattern";
import type { Claim, Declaration, Program, Span, Statement } from "./ast.js";
import type { SourceText } from "./build-ast.js";
import type { CommentPlan, ItemComments, OwnLineComment, RegionComments } from "./print.js";
import { Colon, LBrace, LineComment, RBrace } from "./tokens.js";

/** A `// line` comment or a block comment, text as written (delimiters included). */
export interface Comment {
  readonly text: string;
  readonly span: Span;
}

/** The source text of one printed item, and the block it prints with its items, if any. */
interface LayoutItem {
  readonly key: object;
  readonly start: number;
  readonly end: number;
  readonly startLine: number;
  readonly endLine: number;
  readonly region?: LayoutRegion;
}

/** A braced block (or the whole file): comments between its items are placed among them. */
interface LayoutRegion {
  readonly owner: object;
  /** Just past the `{` (or the `:` of `for each X in E:`); before it is the item's head. */
  readonly bodyStart: number;
  /** The line of that `{`: a comment after it on this line stays on it. -1 for the file. */
  readonly openLine: number;
  /** The offset of the `}` (the item's end for `:`); comments after it trail the item. */
  readonly close: number;
  readonly items: readonly LayoutItem[];
  /** `for each X in E: CLAIM`, printed as a block: what trails it trails CLAIM instead. */
  readonly braceless?: boolean;
}

interface Placed {
  readonly text: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly isLineComment: boolean;
  /** Set by `settle` for comments printed on their own line. */
  blankBefore: boolean;
}

interface ItemState {
  leading: Placed[];
  trailing: Placed[];
  /** The line a further comment must start on to trail this item too. */
  chainLine: number;
}

interface RegionState {
  header: Placed[];
  dangling: Placed[];
  chainLine: number;
}

/**
 * The placement of `comments` (in source order) in the printed `program`. `tokens` are the
 * program's tokens (comments excluded), `source` its text; the program must have parsed cleanly.
 */
export function planComments(
  program: Program,
  comments: readonly (Comment & { readonly isLineComment: boolean })[],
  tokens: readonly IToken[],
  source: SourceText,
): CommentPlan {
  const layout = new Layout(tokens, source).program(program);
  const placement = new Placement();
  for (const comment of comments) {
    placement.place(layout, {
      text: comment.text,
      startLine: comment.span.start.line,
      endLine: comment.span.end.line,
      isLineComment: comment.isLineComment,
      blankBefore: false,
    }, comment.span.start.offset);
  }
  return placement.finish(layout);
}

/** Whether a comment token is a `//` comment (the others are block comments). */
export function isLineComment(token: IToken): boolean {
  return token.tokenType === LineComment;
}

// ---------------------------------------------------------------------------------------------
// The layout: the printer's items and blocks, with their source offsets.

class Layout {
  constructor(
    private readonly tokens: readonly IToken[],
    private readonly source: SourceText,
  ) {}

  program(program: Program): LayoutRegion {
    return {
      owner: program,
      bodyStart: 0,
      openLine: -1,
      close: Number.POSITIVE_INFINITY,
      items: program.declarations.map((d) => this.declaration(d)),
    };
  }

  private item(key: object, start: number, end: number, region?: LayoutRegion): LayoutItem {
    return {
      key,
      start,
      end,
      startLine: this.source.position(start).line,
      endLine: this.source.position(end).line,
      ...(region ? { region } : {}),
    };
  }

  private spanned(key: object, span: Span, region?: LayoutRegion): LayoutItem {
    return this.item(key, span.start.offset, span.end.offset, region);
  }

  /** Index of the first token that starts at or after `offset`. */
  private indexAt(offset: number): number {
    let low = 0;
    let high = this.tokens.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.tokens[middle]!.startOffset < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private isA(index: number, type: TokenType): boolean {
    return this.tokens[index]?.tokenType === type;
  }

  /** The start of the token `back` tokens before the one at `offset` (a keyword before a part). */
  private startBefore(offset: number, back: number): number {
    return this.tokens[this.indexAt(offset) - back]?.startOffset ?? offset;
  }

  /** The block whose `{` is the first one at or after `from` (heads hold no braces). */
  private braceBlock(owner: object, from: number, items: readonly LayoutItem[]): LayoutRegion | undefined {
    let open = this.indexAt(from);
    while (open < this.tokens.length && !this.isA(open, LBrace)) open++;
    return this.blockAt(owner, open, items);
  }

  private blockAt(owner: object, open: number, items: readonly LayoutItem[]): LayoutRegion | undefined {
    const brace = this.tokens[open];
    if (!brace || brace.tokenType !== LBrace) return undefined;
    let depth = 0;
    for (let index = open; index < this.tokens.length; index++) {
      if (this.isA(index, LBrace)) depth++;
      else if (this.isA(index, RBrace) && --depth === 0) {
        return {
          owner,
          bodyStart: brace.startOffset + 1,
          openLine: this.source.position(brace.startOffset).line,
          close: this.tokens[index]!.startOffset,
          items,
        };
      }
    }
    return undefined;
  }

  private declaration(declaration: Declaration): LayoutItem {
    const d = declaration;
    const start = d.span.start.offset;
    return match(d)
      .with({ kind: "Import" }, { kind: "OptimizerAlias" }, () => this.spanned(d, d.span))
      .with({ kind: "Landscape" }, (l) => {
        const items: LayoutItem[] = [];
        const first = l.variables[0];
        const last = l.variables[l.variables.length - 1];
        if (first && last) {
          items.push(this.item(l.variables, this.startBefore(first.span.start.offset, 1), last.span.end.offset));
        }
        if (l.objective) {
          items.push(this.item(l.objective, this.startBefore(l.objective.span.start.offset, 2), l.objective.span.end.offset));
        }
        const firstMinimum = l.minima[0];
        if (firstMinimum) {
          const open = this.indexAt(firstMinimum.span.start.offset) - 1;
          const minima = this.blockAt(l.minima, open, l.minima.map((m) => this.spanned(m, m.span)));
          const keyword = this.tokens[open - 1]?.startOffset ?? firstMinimum.span.start.offset;
          const end = minima ? minima.close + 1 : l.minima[l.minima.length - 1]!.span.end.offset;
          items.push(this.item(l.minima, keyword, end, minima));
        }
        return this.spanned(l, l.span, this.braceBlock(l, start, items));
      })
      .with({ kind: "Optimizer" }, { kind: "Procedure" }, (o) =>
        this.spanned(o, o.span, this.braceBlock(o, start, this.statements(o.body))),
      )
      .with({ kind: "Experiment" }, (e) =>
        this.spanned(e, e.span, this.braceBlock(e, start, e.clauses.map((c) => this.spanned(c, c.span)))),
      )
      .with({ kind: "Task" }, (t) =>
        this.spanned(t, t.span, this.braceBlock(t, start, t.settings.map((setting) => this.spanned(setting, setting.span)))),
      )
      .with({ kind: "Hypothesis" }, (h) => {
        const items = h.adjust ? [this.spanned(h.adjust, h.adjust.span)] : [];
        items.push(...this.claims(h.claims));
        return this.spanned(h, h.span, this.braceBlock(h, start, items));
      })
      .exhaustive();
  }

  private statements(body: readonly Statement[]): LayoutItem[] {
    return body.map((s) => this.statement(s));
  }

  private statement(statement: Statement): LayoutItem {
    const s = statement;
    return match(s)
      .with({ kind: "Repeat" }, (r) =>
        this.spanned(r, r.span, this.braceBlock(r, r.times.span.end.offset, this.statements(r.body))),
      )
      .with({ kind: "Hop" }, (h) => {
        const accept = this.item(h.accept, this.startBefore(h.accept.span.start.offset, 1), h.accept.span.end.offset);
        return this.spanned(h, h.span, this.braceBlock(h, h.span.start.offset, [...this.statements(h.body), accept]));
      })
      .with({ kind: "Start" }, (st) => {
        // `start X` is printed on X's line(s): it is X's item, with X's block (named by X).
        const only = st.body.length === 1 ? st.body[0] : undefined;
        if (only) return this.spanned(st, st.span, this.statement(only).region);
        return this.spanned(st, st.span, this.braceBlock(st, st.span.start.offset, this.statements(st.body)));
      })
      .otherwise(() => this.spanned(s, s.span));
  }

  private claims(claims: readonly Claim[]): LayoutItem[] {
    return claims.map((c) => this.claim(c));
  }

  private claim(claim: Claim): LayoutItem {
    if (claim.kind !== "ForEach") return this.spanned(claim, claim.span);
    const items = this.claims(claim.body);
    const open = this.indexAt(claim.experiment.span.end.offset);
    const colon = this.tokens[open];
    if (colon?.tokenType === Colon) {
      const region: LayoutRegion = {
        owner: claim,
        bodyStart: colon.startOffset + 1,
        openLine: this.source.position(colon.startOffset).line,
        close: claim.span.end.offset,
        items,
        braceless: true,
      };
      return this.spanned(claim, claim.span, region);
    }
    return this.spanned(claim, claim.span, this.blockAt(claim, open, items));
  }
}

// ---------------------------------------------------------------------------------------------
// Placement

class Placement {
  private readonly items = new Map<object, ItemState>();
  private readonly regions = new Map<object, RegionState>();

  private itemState(item: LayoutItem): ItemState {
    let state = this.items.get(item.key);
    if (!state) this.items.set(item.key, (state = { leading: [], trailing: [], chainLine: item.endLine }));
    return state;
  }

  private regionState(region: LayoutRegion): RegionState {
    let state = this.regions.get(region.owner);
    if (!state) this.regions.set(region.owner, (state = { header: [], dangling: [], chainLine: region.openLine }));
    return state;
  }

  /** Places a comment that starts at `offset` inside `region` (between its `{` and `}`). */
  place(region: LayoutRegion, comment: Placed, offset: number): void {
    const items = region.items;
    const inside = items.find((item) => item.start <= offset && offset < item.end);
    if (inside) return this.placeInside(inside, comment, offset);

    let previous: LayoutItem | undefined;
    let next: LayoutItem | undefined;
    for (const item of items) {
      if (item.end <= offset) previous = item;
      else if (!next && item.start >= offset) next = item;
    }
    if (previous) {
      const state = this.itemState(trailingTarget(previous));
      if (comment.startLine === state.chainLine) {
        state.trailing.push(comment);
        state.chainLine = comment.endLine;
        return;
      }
    } else {
      const state = this.regionState(region);
      if (comment.startLine === state.chainLine) {
        state.header.push(comment);
        state.chainLine = comment.endLine;
        return;
      }
    }
    if (next) this.itemState(next).leading.push(comment);
    else this.regionState(region).dangling.push(comment);
  }

  private placeInside(item: LayoutItem, comment: Placed, offset: number): void {
    const region = item.region;
    if (region && offset >= region.bodyStart && offset < region.close) return this.place(region, comment, offset);
    if (region && offset < region.bodyStart) this.regionState(region).header.push(comment);
    else this.itemState(item).trailing.push(comment);
  }

  /** Applies the `//`-comes-last rule and the blank lines, and freezes the result. */
  finish(layout: LayoutRegion): CommentPlan {
    this.settle(layout);
    const items = new Map<object, ItemComments>();
    const regions = new Map<object, RegionComments>();
    const own = (comments: readonly Placed[]): OwnLineComment[] =>
      comments.map((c) => ({ text: c.text, blankBefore: c.blankBefore }));
    for (const [key, state] of this.items) {
      items.set(key, {
        leading: own(state.leading),
        trailing: state.trailing.map((c) => c.text),
        blankBeforeItem: this.blankBeforeItem.has(key),
      });
    }
    for (const [owner, state] of this.regions) {
      regions.set(owner, { header: state.header.map((c) => c.text), dangling: own(state.dangling) });
    }
    return { item: (key) => items.get(key), region: (owner) => regions.get(owner) };
  }

  private readonly blankBeforeItem = new Set<object>();

  private settle(region: LayoutRegion): void {
    const state = this.regionState(region);
    const items = region.items;
    const leadingOf = (index: number): Placed[] => {
      const item = items[index];
      return item ? this.itemState(item).leading : state.dangling;
    };
    leadingOf(0).unshift(...afterLineComment(state.header));
    items.forEach((item, index) => leadingOf(index + 1).unshift(...afterLineComment(this.itemState(item).trailing)));

    let previousEnd: number | undefined;
    const ownLine = (comment: Placed) => {
      comment.blankBefore = previousEnd !== undefined && comment.startLine - previousEnd >= 2;
      previousEnd = comment.endLine;
    };
    for (const item of items) {
      const { leading, trailing } = this.itemState(item);
      leading.forEach(ownLine);
      if (leading.length > 0 && previousEnd !== undefined && item.startLine - previousEnd >= 2) {
        this.blankBeforeItem.add(item.key);
      }
      previousEnd = Math.max(item.endLine, ...trailing.map((c) => c.endLine));
      if (item.region) this.settle(item.region);
    }
    state.dangling.forEach(ownLine);
  }
}

/** The item that takes the comments trailing `item`: the last claim of `for each ...: CLAIM`. */
function trailingTarget(item: LayoutItem): LayoutItem {
  const last = item.region?.braceless ? item.region.items[item.region.items.length - 1] : undefined;
  return last ? trailingTarget(last) : item;
}

/** Removes and returns what follows the first `//` comment of `list`. */
function afterLineComment(list: Placed[]): Placed[] {
  const index = list.findIndex((c) => c.isLineComment);
  return index < 0 ? [] : list.splice(index + 1);
}
