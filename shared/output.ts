/** Job output as the API and the live stream present it. */
export type OutputStream = 'stdout' | 'stderr' | 'system';

export interface OutputLine {
  /** 1-based line number within the job. */
  line: number;
  /** ISO time the relay read the line. */
  time: string;
  stream: OutputStream;
  text: string;
}
