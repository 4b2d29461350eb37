/**
 * A BERT folder with a tokenizer, for tests: ../shared/fixtures/tiny_bert has weights but no
 * tokenizer (its vocabulary of 11 ids is synthetic). This writes a real WordPiece tokenizer.json
 * in Hugging Face's format for those 11 ids — BertNormalizer (lower case), BertPreTokenizer,
 * the WordPiece model with "##" continuations and [UNK], a TemplateProcessing post-processor
 * adding [CLS] … [SEP], the WordPiece decoder — beside copies of the fixture's config.json and
 * model.safetensors in a temporary folder. The words chosen for ids 5–10 are arbitrary (the
 * weights are random); the specials take BERT's usual ids 0–4.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
/** ids 5..10 */
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', '##s'] as const;

/** The tokenizer.json for tiny_bert's 11-id vocabulary. */
export function tinyBertWordPiece(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  [...SPECIALS, ...WORDS].forEach((t, id) => (vocab[t] = id));
  const special = (id: string, typeId = 0): unknown => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number): unknown => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), sequence('A', 0), special('[SEP]')],
      pair: [special('[CLS]'), sequence('A', 0), special('[SEP]'), sequence('B', 1), special('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** A temporary copy of fixture folder `from` (config.json, model.safetensors) with the tokenizer.json above; the caller removes it. */
export function bertFolderWithTokenizer(from: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-bert-'));
  for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(from, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyBertWordPiece(), null, 1));
  return dir;
}
