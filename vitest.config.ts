import { defineConfig } from "vitest/config";

// Rejections log at WARN by design; the suite provokes hundreds of them on purpose.
// The SDK's notice that its 2027 releases need Node 22 is said once in the README instead.
const env = { POWERTOOLS_LOG_LEVEL: "ERROR", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Integration files each start their own emulators; two at a time suits a 2-core machine.
    maxWorkers: 2,
    projects: [
      // Pure tests: no stack, so `npx vitest run test/unit/x.test.ts` starts in seconds.
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], env } },
      // Everything that deploys: the app synthesized once and one DynamoDB Local for the run (global-setup.ts).
      {
        extends: true,
        test: {
          name: "stack",
          include: ["test/**/*.test.ts"],
          exclude: ["test/unit/**"],
          globalSetup: ["test/global-setup.ts"],
          env,
        },
      },
    ],
  },
});
