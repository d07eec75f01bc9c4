// The version written into plans and results (kept equal to package.json's by a test).
export const OPTSPEC_VERSION = "0.1.0";
