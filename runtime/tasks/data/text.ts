// Labelled text (CSV, TSV or JSON Lines) turned into fixed-length token-id sequences: a
// deterministic tokenizer, a vocabulary counted on the training split only, and class ids
// from the distinct training labels. Every malformed input is a DataError naming file and line.

import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { DataError, type Dataset, type Split } from "../types.js";
import { checkCount, checkSeed, seededPermutation } from "./shuffle.js";

export type TextFormat = "csv" | "tsv" | "jsonl";

export interface TextOptions {
  /** The training file (and the test rows too when `testPath` is absent). */
  readonly path: string;
  readonly testPath?: string;
  /** From the extension when absent: .csv; .tsv/.tab; .jsonl/.ndjson/.json (one object a line). */
  readonly format?: TextFormat;
  /**
   * A header name, or a 0-based column number. CSV/TSV: names mean the first row is a header;
   * numbers mean there is no header row (GoEmotions' `text\tlabels\tid`: text 0, label 1).
   * Both fields must be of the same kind. JSON Lines takes names only.
   */
  readonly textField: string | number;
  readonly labelField: string | number;
  readonly maxLength: number;
  /** Ids kept, padding (0) and unknown (1) included: the vocabularySize - 2 most frequent training words. */
  readonly vocabularySize: number;
  /** Share of `path`'s rows held out for testing when there is no `testPath` (default 0.2). */
  readonly testShare?: number;
  readonly seed: number;
}

/** Id of the padding after a sequence's last word. */
export const PADDING_ID = 0;
/** Id of a word outside the vocabulary. */
export const UNKNOWN_ID = 1;

const WORD = /[\p{L}\p{N}]+/gu;

/**
 * Words of `text`: lowercase it (String.prototype.toLowerCase), then take the maximal runs of
 * Unicode letters and digits. Everything else separates words, apostrophes included
 * ("don't" → "don", "t"); no Unicode normalization is applied.
 */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** Orders strings by Unicode code point (JavaScript's `<` orders UTF-16 units, which differs past U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (which start code points >= U+10000) above U+E000..U+FFFF; order is otherwise kept. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/**
 * The vocabulary of the training texts: word → id, ids 2.. given to the `vocabularySize - 2`
 * most frequent words (ties: code-point order), 0 and 1 being padding and unknown.
 */
export function buildVocabulary(texts: readonly (readonly string[])[], vocabularySize: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const words of texts) for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  const vocabulary = new Map<string, number>();
  for (let i = 0; i < Math.min(ranked.length, vocabularySize - 2); i++) vocabulary.set(ranked[i]![0], i + 2);
  return vocabulary;
}

/** One labelled row and the line of the file where it starts. */
interface TextRow {
  readonly text: string;
  readonly label: string;
  readonly line: number;
}

const SOURCE_HINT =
  "labelled text is your own data; for example the GoEmotions TSV files (text, comma-separated label ids, id; no header row) " +
  "are at https://github.com/google-research/google-research/tree/master/goemotions/data";

function fieldText(field: string | number): string {
  return typeof field === "number" ? `column ${field} (0-based)` : `"${field}"`;
}

function layoutText(format: TextFormat, options: TextOptions): string {
  const text = fieldText(options.textField);
  const label = fieldText(options.labelField);
  const named = typeof options.textField === "string";
  switch (format) {
    case "csv":
      return (
        `expected UTF-8 CSV (RFC 4180: comma-separated, a field holding a comma, quote or line break in double quotes, a quote inside doubled) ` +
        (named ? `with a header row naming the columns ${text} and ${label}` : `without a header row, the text in ${text} and the label in ${label}`)
      );
    case "tsv":
      return (
        `expected UTF-8 TSV (tab-separated, one row a line, no quoting) ` +
        (named ? `with a header row naming the columns ${text} and ${label}` : `without a header row, the text in ${text} and the label in ${label}`)
      );
    case "jsonl":
      return `expected JSON Lines (one JSON object a line) with the string field ${text} and the label field ${label} (a string, a number, or an array whose first element is taken)`;
  }
}

/** The format named by the options, else by the file's extension. */
function formatOf(file: string, options: TextOptions): TextFormat {
  if (options.format !== undefined) {
    if (options.format === "csv" || options.format === "tsv" || options.format === "jsonl") return options.format;
    throw new DataError(`text: ${file}: unknown format "${String(options.format)}"; expected csv, tsv or jsonl`, file);
  }
  const extension = extname(file).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".tsv" || extension === ".tab") return "tsv";
  if (extension === ".jsonl" || extension === ".ndjson" || extension === ".json") return "jsonl";
  throw new DataError(
    `text: cannot tell the format of ${file} from its extension "${extension}"; name the file .csv, .tsv or .jsonl, or give format = csv | tsv | jsonl`,
    file,
  );
}

/** A CSV or TSV record: its fields and the line it starts on. */
interface RawRecord {
  readonly fields: string[];
  readonly line: number;
}

/** RFC 4180 CSV, CRLF or LF line ends; blank lines are skipped; an unquoted stray quote is kept as text. */
function parseCsv(content: string, fail: (line: number, what: string) => never): RawRecord[] {
  const records: RawRecord[] = [];
  const n = content.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      let value: string;
      if (content.charCodeAt(i) === 34 /* " */) {
        quotedAny = true;
        const quoteLine = line;
        const chunks: string[] = [];
        i++;
        for (;;) {
          const close = content.indexOf('"', i);
          if (close < 0) fail(quoteLine, "has a quoted field that is never closed (a double quote opens it and no closing quote follows)");
          const chunk = content.slice(i, close);
          for (let k = chunk.indexOf("\n"); k >= 0; k = chunk.indexOf("\n", k + 1)) line++;
          chunks.push(chunk);
          if (content.charCodeAt(close + 1) === 34) {
            chunks.push('"');
            i = close + 2;
          } else {
            i = close + 1;
            break;
          }
        }
        value = chunks.join("");
        const next = content.charCodeAt(i);
        if (i < n && next !== 44 && next !== 10 && next !== 13) {
          fail(line, `has the character ${JSON.stringify(content[i])} right after a closing quote (expected a comma or the end of the line; a quote inside a quoted field is written "")`);
        }
      } else {
        const start = i;
        while (i < n) {
          const c = content.charCodeAt(i);
          if (c === 44 || c === 10 || c === 13) break;
          i++;
        }
        value = content.slice(start, i);
      }
      fields.push(value);
      if (i >= n) break;
      const c = content.charCodeAt(i);
      if (c === 44) {
        i++;
        if (i >= n) {
          fields.push("");
          break;
        }
        continue;
      }
      // End of record: \r\n, \n or a lone \r.
      i += c === 13 && content.charCodeAt(i + 1) === 10 ? 2 : 1;
      line++;
      break;
    }
    if (fields.length === 1 && fields[0] === "" && !quotedAny) continue;
    records.push({ fields, line: recordLine });
  }
  return records;
}

/** TSV as GoEmotions writes it: no quoting, tabs separate fields; blank lines are skipped. */
function parseTsv(content: string): RawRecord[] {
  const records: RawRecord[] = [];
  const lines = content.split("\n");
  for (let l = 0; l < lines.length; l++) {
    const text = lines[l]!.endsWith("\r") ? lines[l]!.slice(0, -1) : lines[l]!;
    if (text.length === 0) continue;
    records.push({ fields: text.split("\t"), line: l + 1 });
  }
  return records;
}

/** "27" stays "27"; GoEmotions' multi-label "3,27" becomes its first id "3". Other commas are kept. */
function normalizeLabel(label: string): string {
  const trimmed = label.trim();
  return /^\d+(\s*,\s*\d+)+$/.test(trimmed) ? trimmed.split(",")[0]!.trim() : trimmed;
}

function readContent(file: string, format: TextFormat, options: TextOptions): string {
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code ?? (error as Error).message})`;
    throw new DataError(`text: ${file} ${what}; ${layoutText(format, options)}; ${SOURCE_HINT}`, file);
  }
  return content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
}

/** The labelled rows of one file. */
function readRows(file: string, options: TextOptions): TextRow[] {
  const format = formatOf(file, options);
  const layout = layoutText(format, options);
  const fail = (line: number, what: string): never => {
    throw new DataError(`text: ${file} line ${line} ${what}; ${layout}`, file);
  };
  const content = readContent(file, format, options);
  if (content.trim().length === 0) throw new DataError(`text: ${file} is empty; ${layout}; ${SOURCE_HINT}`, file);
  const named = typeof options.textField === "string";
  if (named !== (typeof options.labelField === "string")) {
    throw new DataError(
      `text: ${file}: give textField and labelField both as column names (the file has a header row) or both as 0-based column numbers (no header row), ` +
        `not ${fieldText(options.textField)} and ${fieldText(options.labelField)}`,
      file,
    );
  }
  for (const field of [options.textField, options.labelField]) {
    if (typeof field === "number" && (!Number.isSafeInteger(field) || field < 0)) {
      throw new DataError(`text: ${file}: a column number must be a non-negative integer, got ${field}`, file);
    }
  }
  if (format === "jsonl") {
    if (!named) throw new DataError(`text: ${file}: JSON Lines fields are named, not numbered (got ${fieldText(options.textField)}); ${layout}`, file);
    return readJsonLines(content, options.textField as string, options.labelField as string, fail);
  }
  const records = format === "csv" ? parseCsv(content, fail) : parseTsv(content);
  let textColumn: number;
  let labelColumn: number;
  let body = records;
  if (named) {
    const header = records[0]!;
    const names = header.fields.map((name) => name.trim());
    const column = (field: string, role: string): number => {
      const index = names.indexOf(field);
      if (index < 0) fail(header.line, `(the header row) has no ${role} column "${field}"; its columns are ${names.map((name) => JSON.stringify(name)).join(", ")}`);
      return index;
    };
    textColumn = column(options.textField as string, "text");
    labelColumn = column(options.labelField as string, "label");
    body = records.slice(1);
    if (body.length === 0) throw new DataError(`text: ${file} has a header row but no data rows; ${layout}`, file);
  } else {
    textColumn = options.textField as number;
    labelColumn = options.labelField as number;
  }
  return body.map((record) => {
    const get = (column: number, role: string, field: string | number): string => {
      if (column >= record.fields.length) {
        fail(record.line, `has ${record.fields.length} field${record.fields.length === 1 ? "" : "s"}, so no ${role} ${fieldText(field)} (field ${column + 1})`);
      }
      return record.fields[column]!;
    };
    const text = get(textColumn, "text", options.textField);
    const label = normalizeLabel(get(labelColumn, "label", options.labelField));
    if (label.length === 0) fail(record.line, `has an empty label in ${fieldText(options.labelField)}`);
    return { text, label, line: record.line };
  });
}

function readJsonLines(content: string, textField: string, labelField: string, fail: (line: number, what: string) => never): TextRow[] {
  const rows: TextRow[] = [];
  const lines = content.split("\n");
  for (let l = 0; l < lines.length; l++) {
    const source = lines[l]!.trim();
    if (source.length === 0) continue;
    const line = l + 1;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (error) {
      const hint = line === 1 && source.startsWith("[") ? " (a JSON array: write one object a line instead, e.g. jq -c '.[]')" : "";
      fail(line, `is not valid JSON: ${(error as Error).message}${hint}`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) fail(line, `is not a JSON object`);
    const record = value as Record<string, unknown>;
    const text = record[textField];
    if (!Object.hasOwn(record, textField) || text === null || text === undefined) fail(line, `has no text field "${textField}"`);
    if (typeof text !== "string" && typeof text !== "number") fail(line, `has a text field "${textField}" that is a ${Array.isArray(text) ? "array" : typeof text}, not a string`);
    let label = record[labelField];
    if (!Object.hasOwn(record, labelField) || label === null || label === undefined) fail(line, `has no label field "${labelField}"`);
    if (Array.isArray(label)) {
      if (label.length === 0) fail(line, `has an empty label list in "${labelField}"`);
      label = label[0];
    }
    if (typeof label !== "string" && typeof label !== "number" && typeof label !== "boolean") {
      fail(line, `has a label in "${labelField}" that is ${label === null ? "null" : `a ${typeof label}`}, not a string or number`);
    }
    const normalized = normalizeLabel(String(label));
    if (normalized.length === 0) fail(line, `has an empty label in "${labelField}"`);
    rows.push({ text: String(text), label: normalized, line });
  }
  return rows;
}

/** Distinct labels in order: numerically when every label is an integer, else by code point. */
function orderLabels(labels: Iterable<string>): string[] {
  const distinct = [...new Set(labels)];
  if (distinct.every((label) => /^[-+]?\d+$/.test(label))) {
    return distinct.sort((a, b) => Number(a) - Number(b) || compareCodePoints(a, b));
  }
  return distinct.sort(compareCodePoints);
}

/**
 * Labelled text as token ids: words from `tokenize`, ids from the training split's vocabulary,
 * each sequence its first `maxLength` words then padding (0) at the end. Without `testPath`,
 * a seeded permutation of the rows gives the first round(n × (1 − testShare)) to training and
 * the rest to testing. Classes are the training split's distinct labels (see `orderLabels`).
 */
export function loadText(options: TextOptions): Dataset {
  const maxLength = checkCount(options.maxLength, "maxLength", "text");
  const vocabularySize = checkCount(options.vocabularySize, "vocabularySize", "text", 3);
  checkSeed(options.seed, "text");
  const testShare = options.testShare ?? 0.2;
  const rows = readRows(options.path, options);
  let trainRows: TextRow[];
  let testRows: TextRow[];
  const testFile = options.testPath ?? options.path;
  if (options.testPath !== undefined) {
    trainRows = rows;
    testRows = readRows(options.testPath, options);
  } else {
    if (!(testShare > 0 && testShare < 1)) throw new DataError(`text: testShare must lie strictly between 0 and 1, got ${testShare}`, options.path);
    const testCount = Math.round(rows.length * testShare);
    if (testCount < 1 || testCount >= rows.length) {
      throw new DataError(
        `text: ${options.path} has ${rows.length} row${rows.length === 1 ? "" : "s"}, too few to hold out a test share of ${testShare} ` +
          `and keep both splits non-empty; add rows, change testShare, or give a separate testPath`,
        options.path,
      );
    }
    const order = seededPermutation(rows.length, options.seed, "data/text/split");
    const trainCount = rows.length - testCount;
    trainRows = Array.from(order.subarray(0, trainCount), (i) => rows[i]!);
    testRows = Array.from(order.subarray(trainCount), (i) => rows[i]!);
  }
  const classNames = orderLabels(trainRows.map((row) => row.label));
  if (classNames.length < 2) {
    throw new DataError(`text: every training row of ${options.path} has the label "${classNames[0]}"; a classification task needs at least two classes`, options.path);
  }
  const classOf = new Map(classNames.map((name, id) => [name, id]));
  for (const row of testRows) {
    if (!classOf.has(row.label)) {
      throw new DataError(
        `text: ${testFile} line ${row.line} has the label "${row.label}", which no training row has ` +
          `(the classes are the training labels: ${classNames.slice(0, 20).map((name) => JSON.stringify(name)).join(", ")}${classNames.length > 20 ? ", ..." : ""})`,
        testFile,
      );
    }
  }
  const trainWords = trainRows.map((row) => tokenize(row.text));
  const vocabulary = buildVocabulary(trainWords, vocabularySize);
  const encode = (rowsOfSplit: readonly TextRow[], words: readonly (readonly string[])[]): Split => {
    const x = new Int32Array(rowsOfSplit.length * maxLength);
    const y = new Int32Array(rowsOfSplit.length);
    for (let r = 0; r < rowsOfSplit.length; r++) {
      const sequence = words[r]!;
      for (let t = 0; t < Math.min(maxLength, sequence.length); t++) x[r * maxLength + t] = vocabulary.get(sequence[t]!) ?? UNKNOWN_ID;
      y[r] = classOf.get(rowsOfSplit[r]!.label)!;
    }
    return { x, y, count: rowsOfSplit.length };
  };
  const source = options.testPath !== undefined ? `${options.path} and ${options.testPath}` : `${options.path} (test share ${testShare})`;
  return {
    description:
      `text: ${trainRows.length} train / ${testRows.length} test texts from ${source}, ${classNames.length} classes, ` +
      `vocabulary ${vocabulary.size + 2}, length ${maxLength} (seed ${options.seed})`,
    inputShape: [maxLength],
    inputKind: "tokens",
    classes: classNames.length,
    classNames,
    vocabularySize: vocabulary.size + 2,
    train: encode(trainRows, trainWords),
    test: encode(testRows, testRows.map((row) => tokenize(row.text))),
  };
}
