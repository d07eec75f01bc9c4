// The one tfjs-core instance every task module uses, with the pieces it needs registered.
//
// In Node the tfjs packages resolve to their CommonJS "main" builds, which share one engine
// and one kernel/gradient registry through a global, so the backends imported here register
// into the same core that `tf` names. tfjs-core's Node build registers no gradient functions;
// tfjs-layers' build does (all of core's), so importing it is what makes `tf.grads` and
// `tf.variableGrads` work for the models that use autodiff and for the tests' oracles.
//
// The backends are imported by name and their versions exported (backend.ts reports them):
// tfjs-backend-cpu's package.json declares its Node build free of side effects, so a bundler
// drops a bare `import "@tensorflow/tfjs-backend-cpu"` and, with it, the cpu backend.
import * as tf from "@tensorflow/tfjs-core";
import { version_cpu } from "@tensorflow/tfjs-backend-cpu";
import { version_wasm } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-layers";

/** Versions of the tfjs packages in use. */
export const TFJS_VERSIONS = { core: tf.version_core, cpu: version_cpu, wasm: version_wasm } as const;

export { tf };
