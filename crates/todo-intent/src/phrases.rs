//! What people say to a todo list: the words and phrases the parser looks for, as data. All
//! lowercase; a phrase matches at a word boundary, and where several start (or end) a message
//! the longest wins, so the order within a table does not matter. Laid out by hand (the
//! module is not rustfmt'd): one phrase per line would make these tables ten times as long.

// ---------------------------------------------------------------------------------------------
// Around every request.

/// Politeness and filler before a request: "hey, could you please …".
pub const POLITE_HEAD: &[&str] = &[
    "actually", "all right", "alright", "also", "and", "can u", "can you", "could u", "could you",
    "go ahead and", "hello", "hey", "hi", "hiya", "hmm", "i need you to", "i want you to",
    "i would like you to", "i'd like you to", "just", "kindly", "now", "oh", "ok", "okay",
    "please", "pls", "plz", "quick", "quickly", "right", "so", "then", "uh", "um", "well",
    "will you", "would you", "would you mind", "yo",
];

/// Politeness after a request: "… for me, thanks!".
pub const POLITE_TAIL: &[&str] = &[
    "cheers", "for me", "if possible", "if you can", "if you could", "please", "pls", "plz",
    "real quick", "thank you", "thank you so much", "thanks", "thanks a lot", "thx",
];

/// Where a task lives, said after its title: "… to my list", "… off the list".
pub const LIST_TAIL: &[&str] = &[
    "as a task", "as a todo", "as a new task", "for me",
    "from my list", "from my tasks", "from my todo list", "from my to-do list", "from the list",
    "from the todo list",
    "in my list",
    "off my list", "off my todo list", "off the list",
    "on my list", "on my todo list", "on my to-do list", "on the list", "on the todo list",
    "on the to-do list", "onto my list", "onto the list",
    "to my list", "to my task list", "to my tasks", "to my to-do list", "to my todo list",
    "to the list", "to the tasks", "to the todo list", "to the to-do list",
];

/// Whole messages that greet or ask what the agent can do.
pub const HELP: &[&str] = &[
    "help", "help me", "hi", "hello", "hey", "hiya", "good morning", "good afternoon",
    "good evening", "what can you do", "what can you do for me", "what do you do", "who are you",
    "menu", "commands", "options", "start",
];

/// Starts of questions about using the agent: "how do I add a task?".
pub const HELP_HEAD: &[&str] = &["how do i", "how does", "how can i", "how do you"];

// ---------------------------------------------------------------------------------------------
// Naming a task.

/// Words before a task's name that are not part of it: "the", "my", "that".
pub const DETERMINERS: &[&str] = &["the", "my", "that", "this", "our"];

/// Nouns for a task: "task 3", "the dentist task", "that groceries thing".
pub const TASK_NOUNS: &[&str] = &["task", "todo", "to-do", "item", "entry"];

/// Words after a task's name that are not part of it: "the dentist one".
pub const TASK_NOUN_TAIL: &[&str] = &[
    "task", "tasks", "todo", "item", "one", "thing", "things", "stuff", "entry",
];

/// Words between "the task" (or "the one") and its name: "the task about the dentist".
pub const NAMED: &[&str] = &[
    "about", "called", "named", "titled", "for", "to", "that says", "saying", "with", "on",
    "regarding",
];

/// Words before a number that are not part of it: "number 3", "no. 3".
pub const NUMBER_HEAD: &[&str] = &["number", "no.", "no", "id", "nr"];

/// Numbers said as words after "task": "task three".
pub const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

/// Words that name no task on their own: "delete it", "add everything".
pub const NAMES_NOTHING: &[&str] = &[
    "task", "tasks", "todo", "todos", "it", "that", "this", "them", "one", "ones", "all",
    "everything", "anything", "something", "list", "item", "items", "thing", "things", "stuff",
    "the", "my", "i", "im", "we", "were", "you",
];

/// Words that say a command names a task as such ("delete the dentist task") rather than
/// describing a new one ("I need to cancel the gym").
pub const MARKS_A_TASK: &[&str] = &["task", "todo", "item", "one", "thing", "list"];

// ---------------------------------------------------------------------------------------------
// Answers to the agent's questions.

/// "yes" to a question with one candidate.
pub const YES: &[&str] = &[
    "yes", "y", "yep", "yeah", "yup", "sure", "correct", "exactly", "that one", "that's it",
    "that's the one", "ok", "okay", "yes that one",
];

/// Words before an answer: "I mean the second one".
pub const CHOICE_HEAD: &[&str] = &["i mean", "i meant", "it's", "its", "it is", "the"];

/// Ordinals, as words and as numbers.
pub const ORDINALS: &[(&str, &str)] = &[
    ("first", "1st"), ("second", "2nd"), ("third", "3rd"), ("fourth", "4th"), ("fifth", "5th"),
];

// ---------------------------------------------------------------------------------------------
// Listing.

/// Starts of a message that can only be a question: "what …", "which …".
pub const QUESTION_HEAD: &[&str] = &[
    "what", "what's", "whats", "which", "how", "any", "anything", "is there", "are there", "do i",
    "did i", "have i", "got any", "can i", "may i", "could i",
];

/// Starts of a request to see something: "show …", "pull up …".
pub const LOOK_HEAD: &[&str] = &[
    "show", "list", "display", "view", "tell me", "give me", "remind me what", "remind me of what",
    "let me see", "check my", "check the", "read me", "pull up", "bring up", "print",
];

/// Names of the list itself, read as "list": "what's on my todo list?".
pub const LIST_NOUNS: &[&str] = &["to do list", "to-do list", "todo list", "task list"];

/// Words asking for a list.
pub const LOOK: &[&str] = &[
    "show", "list", "what", "what's", "whats", "which", "display", "view", "see", "tell", "give",
    "get", "any", "anything", "how many", "check", "read", "pull up", "bring up", "print",
    "is there", "are there", "did i", "have i",
];

/// Words that say the question is about the tasks.
pub const ABOUT_TASKS: &[&str] = &[
    "task", "tasks", "todo", "todos", "to do", "to-do", "list", "pending", "completed", "complete",
    "done", "finished", "finish", "left", "remaining", "everything", "all", "open", "outstanding",
    "unfinished", "incomplete", "next", "due", "plate", "agenda", "accomplished", "do i have",
    "have i got", "have to do",
];

/// A list asked for in one or two words.
pub const BARE_LIST: &[&str] = &[
    "tasks", "pending", "completed", "done", "todo", "todos", "list", "all", "my tasks", "my list",
    "the list", "all tasks", "everything", "open tasks", "pending tasks", "completed tasks",
    "done tasks", "finished tasks", "my todos",
];

/// Words that ask for what is not done; they win over "done" ("what haven't I done?").
pub const NOT_DONE_YET: &[&str] = &[
    "n't", "not", "yet", "still", "incomplete", "unfinished", "undone", "left", "remaining",
    "remains", "remain", "to be done", "need to", "have to", "to do", "outstanding", "open",
    "pending",
];

/// Words that ask for what is done.
pub const DONE_ALREADY: &[&str] = &[
    "completed", "complete", "done", "finished", "finish", "accomplished", "ticked off",
    "checked off", "crossed off",
];

/// Weaker words for what is not done, read only when nothing says "done".
pub const COMING_UP: &[&str] = &["todo", "to-do", "upcoming", "due", "next"];

// ---------------------------------------------------------------------------------------------
// Updating.

/// Verbs that change a task: "rename task 3 to …".
pub const UPDATE_VERBS: &[&str] = &[
    "adjust", "alter", "change", "correct", "edit", "fix", "make", "modify", "rename", "replace",
    "retitle", "reword", "rewrite", "set", "update",
];

/// After an update verb, the start of a new task instead: "set a reminder to …".
pub const UPDATE_VERB_ADDS: &[&str] = &[
    "a reminder", "up a reminder", "a task", "a new task", "a todo", "a note", "up a task",
];

/// After "task 3": the new title follows ("task 3 should be …").
pub const SHOULD_BE: &[&str] = &[
    "should be", "should say", "should read", "should be called", "is now", "is actually",
    "needs to say", "needs to be",
];

/// "the description of task 4 …".
pub const DESCRIPTION_OF: &[&str] = &[
    "the description of", "description of", "the details of", "details of", "the notes of",
    "the note on", "the notes on", "the description for", "description for",
];

/// "the title of task 4 …".
pub const TITLE_OF: &[&str] = &[
    "the title of", "title of", "the name of", "name of", "the wording of",
];

/// Between the task and its new value.
pub const UPDATE_SEPARATORS: &[&str] = &[
    " to ", ": ", " into ", " as ", " with ", " = ", " -> ", " → ", " so it says ",
    " so that it says ", " so it reads ",
];

/// Separators ending in a verb, which only follow a task named by number ("make task 12 say
/// …"): elsewhere "say" and "read" may start a title.
pub const UPDATE_VERB_SEPARATORS: &[&str] = &[
    " to say ", " to be ", " to read ", " say ", " says ", " read ",
];

/// "add a note to task 2: …" sets the description.
pub const ADD_NOTE: &[&str] = &[
    "add a description to", "add a description for", "add description to", "add a note to",
    "add a note on", "add note to", "add notes to", "add details to", "add some details to",
    "add a comment to", "put a note on",
];

/// Between the task and the note: "add a note to task 2 saying …".
pub const NOTE_SEPARATORS: &[&str] = &[": ", " saying ", " that says ", " - ", " — "];

/// A new title that means "done": "set task 3 to done" completes it.
pub const DONE_WORDS: &[&str] = &["done", "complete", "completed", "finished", "checked", "ticked"];

/// A new title that means "not done": reopening is not a tool, so these are not understood.
pub const UNDONE_WORDS: &[&str] = &[
    "pending", "not done", "undone", "incomplete", "not complete", "not completed", "open", "todo",
    "to do", "unfinished",
];

// ---------------------------------------------------------------------------------------------
// Completing.

/// Starts of a completion: "mark …", "I finished …", "done with …".
pub const COMPLETE_HEAD: &[&str] = &[
    "check", "check off", "close", "close out", "complete", "completed", "cross", "cross off",
    "done", "done with", "finish", "finish off", "finish up", "finished", "finished with",
    "i am done with", "i completed", "i did", "i finished", "i have completed", "i have done",
    "i have finished", "i just completed", "i just did", "i just finished", "i'm done with",
    "i'm finished with", "i've completed", "i've done", "i've finished", "i've just finished",
    "im done with", "mark", "mark off", "tick", "tick off",
];

/// Ends of "mark … as done".
pub const COMPLETE_TAIL: &[&str] = &[
    "as done", "as complete", "as completed", "as finished", "as checked", "as ticked", "done",
    "complete", "completed", "finished", "now", "today", "already",
];

/// Ends of a statement that a named task is done: "task 7 is done", "groceries done".
pub const IS_DONE: &[&str] = &[
    "is done", "is done now", "is complete", "is completed", "is finished", "is finished now",
    "was done", "was completed", "was finished", "has been done", "has been completed",
    "are done", "are finished", "are complete", "is taken care of", "is sorted", "is handled",
    "is dealt with", "done", "complete", "completed", "finished", "taken care of",
];

/// Starts of "… done" that say nothing is finished: "get it done", "almost done".
pub const NOT_A_DONE_TASK: &[&str] = &[
    "get", "got", "have", "has", "had", "be", "is", "are", "was", "were", "i", "i'm", "we",
    "we're", "it's", "almost", "nearly", "not", "never", "all",
];

/// Who did it, before a past verb: "I've just called …".
pub const SUBJECT_HEAD: &[&str] = &[
    "i", "i've", "i have", "we", "we've", "we have", "just", "finally", "already", "also",
];

/// When, after a statement: "… today".
pub const WHEN_TAIL: &[&str] = &["already", "today", "now", "just now", "finally"];

/// Between the subject and the past verb of "the rent has been paid".
pub const PASSIVE: &[&str] = &["has been", "have been", "was", "were", "is", "are", "got", "has"];

/// Past-tense forms that do not report a finished task, or are no past tense at all.
pub const NOT_DONE_PAST: &[&str] = &[
    "added", "asked", "bed", "bleed", "breed", "completed", "created", "decided", "delayed",
    "deleted", "embed", "exceed", "failed", "feed", "finished", "hated", "heed", "hoped", "liked",
    "loved", "missed", "need", "needed", "planned", "postponed", "proceed", "red", "removed",
    "seed", "shed", "shred", "skipped", "speed", "started", "succeed", "tried", "wanted", "wed",
    "weed", "wondered",
];

// ---------------------------------------------------------------------------------------------
// Deleting.

/// Starts of a deletion.
pub const DELETE_HEAD: &[&str] = &[
    "bin", "cancel", "delete", "discard", "ditch", "don't need", "dont need", "drop", "erase",
    "forget", "forget about", "get rid of", "i do not need to", "i don't have to",
    "i don't need to", "i dont need to", "i don't need", "i no longer need to", "kill",
    "never mind", "nevermind", "no need to", "no need for", "nuke", "remove", "scrap", "scratch",
    "strike", "take", "toss", "trash", "wipe",
];

/// Delete verbs that are also chores ("wipe the counters", "drop off the parcel"): they delete
/// only a task named as one.
pub const CHORE_VERBS: &[&str] = &["bin", "drop", "kill", "strike", "toss", "wipe"];

/// Ends of a deletion that are not part of the task's name.
pub const DELETE_TAIL: &[&str] = &[
    "anymore", "any more", "altogether", "for good", "completely", "entirely", "permanently",
    "after all",
];

/// "take … off my list".
pub const OFF_THE_LIST: &[&str] = &["off my list", "off the list", "off my todo list", "off my tasks"];

// ---------------------------------------------------------------------------------------------
// Adding.

/// Phrases after which comes the new task's title.
pub const ADD_HEAD: &[&str] = &[
    "add", "add another", "add to list", "add to my list", "add to my todo list", "add to the list",
    "create", "create another", "do not forget to", "do not let me forget to", "don't forget to",
    "don't let me forget", "don't let me forget to", "dont forget to", "dont let me forget to",
    "enter", "i have to remember to", "i must remember to", "i need to remember",
    "i need to remember to", "i should remember to", "insert", "jot down", "log", "make",
    "make a note", "make a note that i need to", "make a note to", "new", "note", "note down",
    "note to self", "put down", "record", "remember to", "remind me", "remind me about",
    "remind me of", "remind me that i have to", "remind me that i need to", "remind me to",
    "reminder", "schedule", "set a reminder", "set a reminder for", "set a reminder to",
    "set up a reminder to", "task", "to do", "to-do", "todo", "write down",
];

/// Add phrases that are nouns or need one: "new shoes" and "make dinner" add nothing, "new task:
/// …" and "task: …" do.
pub const ADD_NEEDS_NOUN: &[&str] = &["new", "task", "todo", "to", "to-do", "note", "reminder", "make"];

/// Before the noun of "add a new task …".
pub const ARTICLES: &[&str] = &["a", "an", "another", "one more", "a new", "new", "the"];

/// The noun of "add a new task …".
pub const ADD_NOUNS: &[&str] = &[
    "task", "tasks", "todo", "to-do", "item", "entry", "reminder", "note", "one",
];

/// After "add a task": "… called …", "… to …".
pub const ADD_NAMED: &[&str] = &[
    "to my list", "to the list", "on my list", "to", "called", "named", "titled", "for", "about",
    "saying", "that says",
];

/// Wishes that usually name a new task ("I need to call mom") but may wrap a command ("I need to
/// finish task 2").
pub const INTENTIONS: &[&str] = &[
    "gotta", "have to", "i also need to", "i gotta", "i have to", "i must", "i need to", "i should",
    "i still need to", "i wanna", "i want to", "i would like to", "i'd like to", "i've got to",
    "i've gotta", "need to", "we have to", "we need to", "we should",
];

/// Verbs of "put … on the list".
pub const PUT: &[&str] = &["put", "stick", "throw", "pop", "get", "chuck"];

/// Ends of "put … on the list".
pub const ON_THE_LIST: &[&str] = &[
    "on my list", "on the list", "onto my list", "onto the list", "on my todo list",
    "on my to-do list", "on the todo list", "on the to-do list", "on my tasks", "on there", "down",
];

/// Between a new task's title and its description.
pub const DESCRIPTION_SEPARATORS: &[&str] = &[
    " with description ", " with the description ", " with details ", " with note ",
    " with the note ", " with a note ", " - description: ", " description: ", " details: ",
    " note: ",
];

// ---------------------------------------------------------------------------------------------
// Slips of the fingers.

/// The words commands are made of; a message that means nothing gets one more try with its
/// slips corrected to these.
pub const COMMAND_WORDS: &[&str] = &[
    "add", "cancel", "change", "complete", "completed", "create", "delete", "description",
    "display", "done", "edit", "erase", "everything", "finish", "finished", "forget",
    "incomplete", "list", "mark", "modify", "outstanding", "pending", "please", "remaining",
    "remember", "remind", "remove", "rename", "replace", "scratch", "show", "task", "tasks",
    "tick", "title", "todo", "unfinished", "update", "what's",
];

/// Short slips no edit distance can tell from real words.
pub const KNOWN_SLIPS: &[(&str, &str)] = &[
    ("ad", "add"), ("teh", "the"), ("wat", "what"), ("wht", "what"), ("u", "you"), ("ur", "your"),
    ("mi", "my"), ("tks", "tasks"),
];

// ---------------------------------------------------------------------------------------------
// Matching titles (sorted: looked up by binary search).

/// Words that name no task: articles, pronouns, "task", "thing", "one" and other filler.
/// Matching ignores them unless a phrase has nothing else.
pub const FILLER: &[&str] = &[
    "a", "about", "actually", "all", "an", "and", "are", "at", "by", "entry", "for", "from", "her",
    "his", "i", "in", "is", "it", "item", "items", "its", "just", "list", "me", "my", "of", "on",
    "one", "ones", "our", "please", "really", "some", "stuff", "task", "tasks", "that", "the",
    "their", "these", "thing", "things", "this", "those", "to", "todo", "todos", "us", "was", "we",
    "with", "you", "your",
];

/// Irregular past forms and participles, mapped to the verb, so "I paid the rent" names
/// "Pay rent".
pub const IRREGULAR: &[(&str, &str)] = &[
    ("ate", "eat"), ("began", "begin"), ("begun", "begin"), ("bit", "bite"), ("bought", "buy"),
    ("broke", "break"), ("broken", "break"), ("brought", "bring"), ("built", "build"),
    ("caught", "catch"), ("chose", "choose"), ("chosen", "choose"), ("did", "do"), ("done", "do"),
    ("drank", "drink"), ("drawn", "draw"), ("drew", "draw"), ("driven", "drive"),
    ("drove", "drive"), ("dug", "dig"), ("eaten", "eat"), ("fed", "feed"), ("felt", "feel"),
    ("flew", "fly"), ("flown", "fly"), ("fought", "fight"), ("found", "find"), ("gave", "give"),
    ("given", "give"), ("gone", "go"), ("got", "get"), ("gotten", "get"), ("grew", "grow"),
    ("grown", "grow"), ("heard", "hear"), ("held", "hold"), ("hid", "hide"), ("hung", "hang"),
    ("kept", "keep"), ("knew", "know"), ("known", "know"), ("laid", "lay"), ("led", "lead"),
    ("left", "leave"), ("lent", "lend"), ("lit", "light"), ("made", "make"), ("met", "meet"),
    ("paid", "pay"), ("ran", "run"), ("rang", "ring"), ("ridden", "ride"), ("rode", "ride"),
    ("rung", "ring"), ("said", "say"), ("sang", "sing"), ("sat", "sit"), ("sent", "send"),
    ("shook", "shake"), ("shown", "show"), ("slept", "sleep"), ("sold", "sell"), ("spent", "spend"),
    ("spoke", "speak"), ("spoken", "speak"), ("stole", "steal"), ("stood", "stand"),
    ("stuck", "stick"), ("sung", "sing"), ("swam", "swim"), ("swept", "sweep"), ("swum", "swim"),
    ("taken", "take"), ("taught", "teach"), ("thought", "think"), ("threw", "throw"),
    ("thrown", "throw"), ("told", "tell"), ("took", "take"), ("tore", "tear"), ("torn", "tear"),
    ("went", "go"), ("woke", "wake"), ("won", "win"), ("wore", "wear"), ("worn", "wear"),
    ("written", "write"), ("wrote", "write"),
];
