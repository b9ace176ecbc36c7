// Types of workerd-v8-flags.mjs for the TypeScript tests (TypeScript reads this file for
// `./workerd-v8-flags.mjs`).
export declare function withV8Flags(message: Buffer, flags: string[]): Buffer;
export declare function v8FlagsOf(message: Buffer): string[];
export declare function parseV8Flags(text: string | undefined): string[];
