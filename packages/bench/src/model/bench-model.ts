import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeRandomModel, PRESET_NAMES, resolveModelDir, type PresetName } from '@rerankd/model';

export interface BenchModel {
  /** The local directory the server loads. */
  dir: string;
  /** The preset a random model was made from, when the name was one. */
  preset?: PresetName;
}

/**
 * The directory of a benchmark's model: a local directory as given, a hub id from the Hugging
 * Face cache (downloaded once), or one of make-random-model's preset names, whose random model
 * is written once under `cacheDir/NAME` (where `rerankd bench model` keeps its models too).
 */
export async function resolveBenchModel(model: string, cacheDir: string, log: (line: string) => void = () => {}): Promise<BenchModel> {
  if (!existsSync(model) && isPreset(model)) {
    const dir = join(cacheDir, model);
    if (!existsSync(join(dir, 'config.json'))) {
      log(`writing a random ${model} model to ${dir} (once)`);
      await makeRandomModel({ like: model, outDir: dir, seed: 0 });
    }
    return { dir, preset: model };
  }
  return { dir: await resolveModelDir(model) };
}

function isPreset(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}
