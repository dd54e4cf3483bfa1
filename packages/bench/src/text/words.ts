/**
 * The vocabulary generated text is drawn from: common English words (one token each in BPE
 * vocabularies such as Qwen3's) and a few longer technical terms that split into several, so that
 * the text reads like prose about search systems at about 1.1 tokens per word.
 */
export const WORDS: readonly string[] = [
  'the of and to in a is that for it as was with be by on not he this are or his from at which but',
  'have an they you were her she there one all we their has been if more when will would who so no',
  'what out up into do its about than them can only other new some could time these two may then',
  'first any like now my such make over our even most after also made many before must through',
  'back years where much your way well down should because each just those people how too little',
  'state good very world still own see men work long here get both between life being under never',
  'day same another know while last might us great old year off come since against go came right',
  'used take three states himself few house use during without again place around however home',
  'small found thought went say part once general high upon school every does got united left',
  'number course war until always away something fact though water less public put think almost',
  'hand enough far took head yet government system better set told nothing night end why called',
  'find look going point knew next program city business give group toward young days let room',
  'president side social given present several order national possible rather second face per',
  'among form important often things looked early white case become large big need four within',
  'felt along children saw best ever least power development light thing seemed family interest',
  'want members mind country area others done turned although open service problem certain kind',
  'different thus began door help sense means whole matter perhaps itself times law human line',
  'above name example action company local show whether five history gave today either act feet',
  'across taken past quite anything seen having death week experience body word half really field',
  'car words already themselves information tell together shall money period held keep sure real',
  'probably free seems political cannot behind question air office making brought whose special',
  'major heard problems federal became study ago moment available known result street economic',
  'reason change position south board individual job society areas west close turn love community',
  'true court force full seem reranker rerankers tokenizer throughput latency embeddings retrieval',
  'relevance cache caches batching scheduler gateway worker workers cluster queries documents',
  'passages transformer attention kernels vectors indexing ranking semantic inference benchmark',
  'precision quantized prefix padding streaming replicas deployment monitoring sharding',
]
  .join(' ')
  .split(' ');
