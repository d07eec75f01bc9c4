// The executable entry point of optc (bundled to dist/optc.js).
import { main } from "./cli.js";

process.exitCode = await main(process.argv.slice(2));
