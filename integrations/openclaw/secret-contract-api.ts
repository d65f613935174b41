// Found by file name (dist/secret-contract-api.js) by the host for non-bundled channel plugins.
export { collectRuntimeConfigAssignments, secretTargetRegistryEntries } from "./src/secret-contract.js";
