/** What a CLI command reads and writes; the real process in cli.ts, buffers in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

export const line = (stream: NodeJS.WritableStream, text: string): void => {
  stream.write(`${text}\n`);
};
