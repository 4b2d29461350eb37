/**
 * What every Hugging Face config reader shares (huggingfaceConfig.ts for GPT-2 and Llama,
 * huggingfaceFamilies.ts for GPT-NeoX, Qwen2 and BERT): the error they throw, the model types,
 * typed access to the untrusted config object, and the final check of the ModelConfig built.
 * In a file of its own so the readers import it, not each other.
 */

import { ModelConfigError, validateModelConfig, type ModelConfig } from '../models/config';
import { CheckpointError, describeValue } from './errors';

/** A Hugging Face model folder (config.json or its tensors) that cannot be imported. */
export class HuggingFaceError extends CheckpointError {}

export type HfModelType = 'gpt2' | 'llama' | 'gpt_neox' | 'qwen2' | 'bert';

export function finish(modelType: HfModelType, config: ModelConfig): ModelConfig {
  try {
    return validateModelConfig(config);
  } catch (e) {
    if (e instanceof ModelConfigError) throw new HuggingFaceError(`config.json (${modelType}) describes an impossible model: ${e.message}`);
    throw e;
  }
}

/** Typed access to an untrusted config object, with transformers' defaults for absent keys. */
export class Fields {
  constructor(private readonly raw: Record<string, unknown>) {}

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.raw, key);
  }

  get(key: string): unknown {
    return this.has(key) ? this.raw[key] : undefined;
  }

  int(key: string, fallback?: number): number {
    const v = this.get(key);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new HuggingFaceError(`config.json: ${key} is ${describeValue(v)}, expected a positive integer`);
    }
    return v;
  }

  num(key: string, fallback: number): number {
    const v = this.get(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new HuggingFaceError(`config.json: ${key} is ${describeValue(v)}, expected a non-negative number`);
    }
    return v;
  }

  str(key: string, fallback: string): string {
    const v = this.get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') throw new HuggingFaceError(`config.json: ${key} is ${describeValue(v)}, expected a string`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new HuggingFaceError(`config.json: ${key} is ${describeValue(v)}, expected true or false`);
    return v;
  }

  /** A switch the engine supports only in one position (absent means transformers' default, which is that position). */
  expect(key: string, supported: boolean, meaning: string): void {
    const v = this.bool(key, supported);
    if (v !== supported) throw new HuggingFaceError(`config.json: ${key} is ${v}, which is not supported; expected ${supported} (${meaning})`);
  }

  optionalTokenId(key: string): number | null {
    const v = this.get(key);
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
  }

  architectures(): string[] {
    const v = this.get('architectures');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  architecturesNote(): string {
    const a = this.architectures();
    const list = a.join(', '); // from the file: shown cut short
    return a.length ? ` (architectures ${list.length > 200 ? `${list.slice(0, 197)}...` : list})` : '';
  }
}
