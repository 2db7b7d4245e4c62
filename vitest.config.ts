import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Integration files each start their own emulators; two at a time suits a 2-core machine.
    maxWorkers: 2,
    // Rejections log at WARN by design; the suite provokes hundreds of them on purpose.
    // The SDK's notice that its 2027 releases need Node 22 is said once in the README instead.
    env: { POWERTOOLS_LOG_LEVEL: "ERROR", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
