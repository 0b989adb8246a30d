/** `SimIo` on Node's process streams and files. */
import { createWriteStream, readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { UsageError } from './errors.ts';
import type { OutputStream, SimIo } from './run.ts';

/** Wraps a Node stream: writes wait for 'drain', and a stream error fails the next write. */
export function nodeOutput(stream: Writable): OutputStream {
  let failure: Error | null = null;
  stream.on('error', (error) => {
    failure = error;
  });
  return {
    write(text) {
      if (failure) return Promise.reject(failure);
      if (stream.write(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => {
          stream.off('drain', onDrain);
          reject(error);
        };
        const onDrain = () => {
          stream.off('error', onError);
          resolve();
        };
        stream.once('drain', onDrain);
        stream.once('error', onError);
      });
    },
    close() {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        stream.once('error', reject);
        stream.end(() => resolve());
      });
    },
  };
}

async function openOut(path: string, flag = '--out'): Promise<OutputStream> {
  const stream = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`${flag} ${path}: cannot write it (${error.code ?? error.message})`)),
    );
  });
  return nodeOutput(stream);
}

export function nodeIo(): SimIo {
  return {
    stdout: nodeOutput(process.stdout),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderr: process.stderr,
    readText: (path) => readFileSync(path, 'utf8'),
    openOut,
  };
}
