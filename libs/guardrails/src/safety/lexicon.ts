// Words and phrases that signal a category of unsafe content, written by hand from the
// categories' definitions (not learnt), so that a word the training texts never showed counts. A
// trailing * matches any ending. IDENTITY lists groups that hate speech targets and YOUTH words
// for the young: naming them is no harm, but next to other signals it is what makes hate or
// sexual content involving minors.
import profanity from 'naughty-words/en.json';
import type { SafetyCategory } from './categories';

export type LexiconGroup = SafetyCategory | 'IDENTITY' | 'YOUTH' | 'INSULT_AT_YOU' | 'PROFANITY';

/** The groups that only give context: a text hitting no other group has no harm words. */
export const CONTEXT_GROUPS: readonly LexiconGroup[] = ['IDENTITY', 'YOUTH'];

const TERMS: Readonly<Record<Exclude<LexiconGroup, 'INSULT_AT_YOU' | 'PROFANITY'>, string>> = {
  SEXUAL: `sex sexy sexual* porn* horny nude nudes naked fuck* pussy pussies cock cocks dick dicks
    escort escorts erotic* blowjob* orgasm* tits titties boobs milf* anal cum cumming slut* whore*
    masturbat* nipple* penis vagina clit* dildo* handjob* hookup hookups xxx webcam* camgirl*
    stripper* threesome* bdsm fetish* kink* lingerie seduc* aroused arousal sensual naughty hardcore
    hentai onlyfans booty deepthroat bondage spank* moan* horniest sexe baise salope putain ficken
    puta follar rencontre* libertin* sodomi* intercourse genital* erection* ejaculat* cunnilingus
    fellatio sext* nsfw`,
  SEXUAL_MINORS: `underage loli lolis lolita preteen* jailbait pedo* paedo* barely_legal
    child_porn cp`,
  YOUTH: `teen teens teenage* minor minors child children kid kids toddler* infant* daughter
    schoolgirl* schoolboy* little_girl little_girls young_girl young_girls young_boy young_boys
    year_old years_old yo`,
  HATE: `nigger* nigga* faggot* fag fags kike* retard* tranny trannies chink* spic spics wetback*
    raghead* towelhead* gook* coon coons dyke* subhuman* untermensch mongrel* savage savages vermin
    cockroach* parasite* inferior degenerate* filthy racist* racism supremac* nazi* infidel*
    go_back_to_your_country musloid* hoax holocaust_is_a_lie`,
  IDENTITY: `muslim muslims islam islamic jew jews jewish black blacks white whites gay gays homosexual*
    lesbian* trans transgender* immigrant* migrant* refugee* mexican* chinese asian* african*
    arab arabs hindu* christian* atheist* women woman feminist* lgbt* queer* latino* latina*
    indian indians race races religion* ethnic* minorit*`,
  VIOLENCE: `kill kills killed killing killer* murder* shoot* shot stab* beat beating gun guns bomb*
    attack* die dies died dead death weapon* slaughter* massacre* behead* hang hanged hanging
    lynch* tortur* execute* execution* burn burned burning destroy* war blood* assault* punch*
    strangl* choke* chok* rape* raping violence violent knife knives blade* hurt hurting harm
    fight* threat* bullet* cemented`,
  HARASSMENT: `bitch* idiot* stupid loser* ugly moron* dumb* pathetic cunt* asshole* scum trash
    garbage disgusting worthless shut_up stfu fuck_you fuck_off go_to_hell piece_of_shit clown*
    kys kill_yourself nobody_likes_you fat pig pigs jerk* freak* creep* imbecil* ignorant
    hairline embarrass* shame* lame`,
  SELF_HARM: `suicide suicidal kill_myself killing_myself cut_myself cutting self_harm
    selfharm self_injury end_my_life ending_my_life overdos* want_to_die wanna_die burn_myself hurt_myself
    hurting_myself slit wrist wrists razor* scar scars relapse* no_reason_to_live better_off_dead
    hang_myself jump_off pills starve_myself purg* anorexi* bulimi* depress* worthless tired_of
    harming_myself self_harming sh hate_myself end_it_all better_off_without burden binge* starving
    cut_again burnt_myself`,
  HATE_THREATENING: `kill_all exterminat* gas_the wipe_out should_be_shot should_die hang_them
    deserve_to_die need_to_be_killed should_be_killed must_die genocide ethnic_cleansing burn_them
    shoot_them death_to need_killin need_to_be_slaughtered should_be_hanged be_slaughtered
    will_die wiped_out should_leave expel* get_rid_of_them deport_them`,
  VIOLENCE_GRAPHIC: `gore gory dismember* mutilat* decapitat* guts disembowel* blood_everywhere
    severed entrails brains skull* flesh bleeding corpse* mangled torn_apart ripped_off gouge*
    impale* charred rotting maggot* stitches wound wounds bloody broken_bones broke fractur*
    bone bones socket slashed`,
};

// "you (are) (a|an|such a|so) <insult>": abuse aimed at the reader.
const YOU = new Set(['you', "you're", 'youre', 'ur', 'u']);
const FILLER = new Set(['are', 'r', 'a', 'an', 'such', 'so', 'fucking', 'little', 'big', 'the']);

interface Lexicon {
  /** A single word's groups, its exact entries and its prefixes' together. */
  word: (word: string) => readonly LexiconGroup[];
  /** Entries of several words, and the first words they start with. */
  phrases: ReadonlyMap<string, readonly LexiconGroup[]>;
  phraseStarts: ReadonlySet<string>;
  longest: number;
}

let lexicon: Lexicon | undefined;

// Distinct words seen get their groups remembered, up to this many.
const WORD_CACHE_MAX = 50_000;

function build(): Lexicon {
  const words = new Map<string, LexiconGroup[]>();
  const phrases = new Map<string, LexiconGroup[]>();
  const prefixes = new Map<string, LexiconGroup[]>();
  const add = (into: Map<string, LexiconGroup[]>, key: string, group: LexiconGroup) => {
    const groups = into.get(key) ?? [];
    if (!groups.includes(group)) groups.push(group);
    into.set(key, groups);
  };
  const addTerm = (term: string, group: LexiconGroup) => {
    if (term.endsWith('*')) add(prefixes, term.slice(0, -1), group);
    else add(term.includes(' ') ? phrases : words, term, group);
  };
  for (const [group, terms] of Object.entries(TERMS) as [LexiconGroup, string][]) {
    for (const term of terms.split(/\s+/).filter(Boolean)) addTerm(term.replace(/_/g, ' '), group);
  }
  for (const term of profanity as string[]) addTerm(term.toLowerCase(), 'PROFANITY');
  const prefixLengths = [...new Set([...prefixes.keys()].map((p) => p.length))].sort(
    (a, b) => a - b,
  );
  const cache = new Map<string, readonly LexiconGroup[]>();
  const word = (w: string): readonly LexiconGroup[] => {
    let groups = cache.get(w);
    if (groups) return groups;
    const found = new Set(words.get(w));
    for (const length of prefixLengths) {
      if (length > w.length) break;
      for (const group of prefixes.get(w.slice(0, length)) ?? []) found.add(group);
    }
    groups = [...found];
    if (cache.size >= WORD_CACHE_MAX) cache.clear();
    cache.set(w, groups);
    return groups;
  };
  const starts = [...phrases.keys()].map((p) => p.split(' '));
  return {
    word,
    phrases,
    phraseStarts: new Set(starts.map((p) => p[0])),
    longest: Math.max(...starts.map((p) => p.length)),
  };
}

/** Each lexicon group with how many times the words (lower-cased, in order) hit it. */
export function lexiconHits(words: readonly string[]): Map<LexiconGroup, number> {
  const { word: groupsOf, phrases, phraseStarts, longest } = (lexicon ??= build());
  const hits = new Map<LexiconGroup, number>();
  const count = (groups: readonly LexiconGroup[] | undefined) => {
    for (const group of groups ?? []) hits.set(group, (hits.get(group) ?? 0) + 1);
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    count(groupsOf(word));
    if (phraseStarts.has(word)) {
      let phrase = word;
      for (let n = 1; n < longest && i + n < words.length; n++) {
        phrase += ` ${words[i + n]}`;
        count(phrases.get(phrase));
      }
    }
    if (YOU.has(word)) {
      let j = i + 1;
      while (j < words.length && j < i + 4 && FILLER.has(words[j])) j++;
      if (j < words.length && groupsOf(words[j]).includes('HARASSMENT')) count(['INSULT_AT_YOU']);
    }
  }
  return hits;
}
