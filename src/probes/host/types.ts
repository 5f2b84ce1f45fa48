import { z } from 'zod';

// Shapes of what the host collectors observe, in base units (bytes, seconds, ratios 0..1).

export const CpuSample = z.object({
  utilization: z.number().describe('busy share of all cores since the previous sample, 0..1'),
  modes: z.record(z.string(), z.number()).describe('share of time per mode (user, system, iowait, …), 0..1'),
  secondsTotal: z.record(z.string(), z.number()).describe('cumulative CPU seconds per mode since boot, all cores'),
  perCore: z.array(z.number()).describe('busy share per logical core, 0..1'),
  cores: z.number().int(),
});
export type CpuSample = z.infer<typeof CpuSample>;

export const LoadSample = z.object({
  load1: z.number(),
  load5: z.number(),
  load15: z.number(),
  perCore1: z.number(),
  perCore5: z.number(),
  perCore15: z.number(),
  cores: z.number().int(),
});
export type LoadSample = z.infer<typeof LoadSample>;

export const MemorySample = z.object({
  totalBytes: z.number(),
  availableBytes: z.number(),
  usedBytes: z.number().describe('total − available'),
  freeBytes: z.number(),
  buffersBytes: z.number(),
  cachedBytes: z.number(),
  utilization: z.number().describe('used / total, 0..1'),
  swapTotalBytes: z.number(),
  swapUsedBytes: z.number(),
  swapUtilization: z.number().nullable().describe('null when the host has no swap'),
});
export type MemorySample = z.infer<typeof MemorySample>;

export const FilesystemSample = z.object({
  mountpoint: z.string(),
  device: z.string(),
  type: z.string(),
  sizeBytes: z.number(),
  usedBytes: z.number(),
  availableBytes: z.number().describe('free to unprivileged users'),
  reservedBytes: z.number().describe('free but reserved for root'),
  utilization: z.number().describe('used / (used + available), as df reports it, 0..1'),
  inodesTotal: z.number(),
  inodesUsed: z.number(),
  inodesUtilization: z.number().nullable(),
  readOnly: z.boolean(),
});
export type FilesystemSample = z.infer<typeof FilesystemSample>;

/** A real filesystem whose statfs failed or hung: reported, never silently dropped. */
export const FilesystemError = z.object({
  mountpoint: z.string(),
  device: z.string(),
  type: z.string(),
  error: z.string(),
});
export type FilesystemError = z.infer<typeof FilesystemError>;

export interface FilesystemReading {
  samples: FilesystemSample[];
  errors: FilesystemError[];
}

export const NetworkSample = z.object({
  interface: z.string(),
  receiveBytes: z.number(),
  transmitBytes: z.number(),
  receivePackets: z.number(),
  transmitPackets: z.number(),
  receiveErrors: z.number(),
  transmitErrors: z.number(),
  receiveDropped: z.number(),
  transmitDropped: z.number(),
  receiveBytesPerSecond: z.number().nullable(),
  transmitBytesPerSecond: z.number().nullable(),
});
export type NetworkSample = z.infer<typeof NetworkSample>;

export const ProcessSample = z.object({
  pid: z.number().int(),
  uptimeSeconds: z.number(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
  heapTotalBytes: z.number(),
  externalBytes: z.number(),
  cpuSecondsTotal: z.object({ user: z.number(), system: z.number() }),
  cpuUtilization: z.number().nullable().describe('share of one core since the previous sample'),
  eventLoopDelaySeconds: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
  openFds: z.number().int().nullable(),
  maxFds: z.number().int().nullable(),
});
export type ProcessSample = z.infer<typeof ProcessSample>;
