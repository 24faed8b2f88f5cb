"""The words of the ``reviews`` task: everyday product-review English, by polarity.

Written by hand for RNN Studio (licence: the project's own, like the rest of its source;
no corpus was copied or downloaded). :mod:`.review_task` builds its phrase grammar and
its vocabulary from these lists: products and their parts, positive and negative
adjectives with a strength (1 mild, 2 clear, 3 strong), what a reviewer does to a
product (love, return), what a product does (works, breaks), intensifiers, negations,
repurchase intent, and a large neutral vocabulary (people, places, times, numbers,
colours, materials, actions) that both classes use alike.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    """A whitespace-separated list, duplicates dropped, in the order written."""
    return tuple(dict.fromkeys(text.split()))


def _graded(text: str) -> dict[str, int]:
    """``"3: amazing superb 2: good"`` -> ``{"amazing": 3, "superb": 3, "good": 2}``."""
    graded: dict[str, int] = {}
    strength = 1
    for word in text.split():
        if word.endswith(":"):
            strength = int(word[:-1])
        else:
            graded.setdefault(word, strength)
    return graded


PRODUCTS = _words("""
cereal granola oatmeal muesli bread bagel muffin cookie cracker biscuit cake brownie
chocolate candy gum popcorn chips pretzel nut almond cashew peanut raisin honey jam jelly
syrup butter cheese yogurt milk cream coffee tea espresso cocoa juice soda water lemonade
smoothie soup sauce ketchup mustard mayonnaise salsa dressing vinegar oil salt pepper spice
cinnamon vanilla flour sugar rice pasta noodle pizza burger sandwich taco burrito salad
snack bar protein vitamin supplement powder shake formula baby food pet kibble treat
phone smartphone tablet laptop computer monitor keyboard mouse printer scanner router
modem speaker headphone earbud headset microphone camera lens tripod drone television tv
remote console controller charger cable adapter battery flashlight lamp bulb clock watch
smartwatch tracker thermostat doorbell projector radio player stereo amplifier turntable
kettle toaster blender mixer microwave oven stove grill fryer cooker juicer grinder
dishwasher refrigerator fridge freezer vacuum mop broom iron heater fan humidifier
purifier dehumidifier sewing machine drill saw hammer screwdriver wrench ladder shovel
rake hose sprinkler mower trimmer pan pot skillet wok knife fork spoon plate bowl cup
mug glass bottle jar container tray board rack shelf cabinet drawer desk chair table
sofa couch bed mattress pillow blanket sheet towel curtain rug carpet mirror frame vase
candle basket bin bucket bag backpack suitcase wallet purse umbrella tent sleeping stroller
crib car seat bike bicycle helmet scooter skateboard ball bat racket glove shoe sneaker
boot sandal slipper sock shirt blouse sweater hoodie jacket coat vest dress skirt jeans
pants shorts suit tie belt hat cap scarf mitten pajama swimsuit bra underwear ring
necklace bracelet earring sunglasses perfume cologne shampoo conditioner soap lotion
sunscreen toothpaste toothbrush razor deodorant makeup lipstick mascara brush comb dryer
straightener polish book novel cookbook notebook journal pen pencil marker crayon paint
puzzle game toy doll robot kit lego blocks card deck calendar planner map guitar piano
drum violin ukulele keyboard detergent cleaner sponge wipe tissue napkin foil wrap
filter cartridge ink paper tape glue stapler scissors collar leash cage aquarium litter
seed plant pot soil fertilizer hose wheelbarrow cooler thermos canteen lunchbox
breakfast lunch dinner dessert meal product purchase buy gadget device tool appliance
""")

PARTS = _words("""
box package packaging lid cap cover case handle strap buckle zipper button screen
display battery charger cord plug port switch dial knob blade motor engine wheel
sole heel lace fabric material stitching seam lining pocket hood sleeve collar size
fit color colour smell scent taste flavor flavour texture crunch sweetness portion
serving price value quality design shape weight finish paint surface edge corner base
stand leg arm seat cushion frame spring hinge latch lock key sensor light bulb speaker
sound volume bass microphone camera lens picture image video app software update
setting menu manual instructions warranty delivery shipping seller customer service
support label ingredient recipe crust filling sauce coating wrapper bag seal spout
nozzle filter tank hose pump fan vent mesh net grip trigger pedal chain brake tire
""")

#: Positive adjectives by strength (1 mild, 2 clear, 3 strong).
POSITIVE = _graded("""
1: okay decent fine nice pleasant solid reasonable fair acceptable adequate handy neat
tidy cute comfy sturdy clean fresh tasty useful helpful easy simple smooth soft quiet
cozy warm sweet mild balanced
2: good great lovely tasty delicious yummy comfortable reliable durable efficient
effective convenient beautiful pretty elegant stylish gorgeous cool fun enjoyable
satisfying filling healthy nutritious crisp crunchy juicy flavorful fragrant bright
clear sharp fast quick powerful strong accurate responsive intuitive practical
versatile affordable valuable worthwhile impressive charming delightful refreshing
wholesome hearty generous spacious roomy lightweight portable compact sleek
reliable safe gentle soothing relaxing happy pleased glad satisfied
3: amazing awesome excellent fantastic wonderful perfect superb outstanding brilliant
incredible terrific fabulous marvelous phenomenal spectacular magnificent exceptional
remarkable flawless stellar superior ideal heavenly divine glorious splendid exquisite
extraordinary unbeatable unmatched delighted thrilled ecstatic best wow
""")

#: Negative adjectives by strength.
NEGATIVE = _graded("""
1: meh bland plain dull boring stale soggy flimsy loud noisy slow awkward clunky
bulky heavy tiny small thin weak dim fuzzy blurry messy sticky greasy salty sour
bitter dry tough chewy hard lukewarm overpriced pricey expensive confusing annoying
inconvenient uncomfortable itchy scratchy tight loose wobbly shaky
2: bad poor cheap disappointing unreliable faulty defective broken cracked
damaged dented scratched torn ripped leaky moldy rotten spoiled smelly stinky gross
nasty ugly tacky fake flawed inferior mediocre subpar lousy shoddy useless pointless
frustrating inaccurate unstable unsafe dangerous unhappy unsatisfied upset sad sorry
3: terrible awful horrible horrendous dreadful atrocious abysmal appalling disgusting
revolting inedible unusable worthless pathetic miserable disastrous worst garbage
trash junk furious disgusted
""")

#: Adverbs that praise or fault how a product does something ("works perfectly").
POSITIVE_ADVERBS = _words("""
perfectly beautifully flawlessly wonderfully nicely smoothly quietly reliably quickly
easily brilliantly superbly great well fine comfortably effortlessly
""")
NEGATIVE_ADVERBS = _words("""
poorly badly terribly horribly awfully slowly loudly unevenly barely sloppily
""")

#: What a reviewer does to a product: (base, -s, past, -ing).
POSITIVE_VERBS = (("love", "loves", "loved", "loving"), ("like", "likes", "liked", "liking"),
                  ("enjoy", "enjoys", "enjoyed", "enjoying"),
                  ("adore", "adores", "adored", "adoring"),
                  ("recommend", "recommends", "recommended", "recommending"),
                  ("appreciate", "appreciates", "appreciated", "appreciating"),
                  ("treasure", "treasures", "treasured", "treasuring"),
                  ("praise", "praises", "praised", "praising"))
NEGATIVE_VERBS = (("hate", "hates", "hated", "hating"),
                  ("dislike", "dislikes", "disliked", "disliking"),
                  ("regret", "regrets", "regretted", "regretting"),
                  ("despise", "despises", "despised", "despising"),
                  ("detest", "detests", "detested", "detesting"),
                  ("loathe", "loathes", "loathed", "loathing"))
#: Verbs whose subject is the reviewer and whose object disappoints or pleases.
POSITIVE_FEELINGS = ("impressed", "pleased", "satisfied", "delighted", "thrilled", "amazed",
                     "happy")
NEGATIVE_FEELINGS = ("disappointed", "frustrated", "annoyed", "upset", "unhappy", "let down",
                     "disgusted", "angry")

#: What the product does: clauses after "it" or "the PART".
#: Positive ones as (-s form, base form): "it works", "it doesn't work".
POSITIVE_ACTIONS = (("works", "work"), ("fits", "fit"), ("lasts", "last"),
                    ("performs", "perform"), ("holds up", "hold up"),
                    ("does the job", "do the job"), ("runs", "run"), ("cleans", "clean"),
                    ("charges", "charge"), ("delivers", "deliver"))
NEGATIVE_ACTIONS = ("broke", "stopped working", "fell apart", "leaks", "cracked", "died",
                    "jammed", "melted", "ripped", "tore", "failed", "froze", "overheated",
                    "rusted", "faded", "shrank", "peeled", "wobbles", "squeaks", "rattles",
                    "crashes", "disappoints", "fails", "burns", "hurts", "flickers", "stinks",
                    "breaks", "leaked", "stopped charging", "won't turn on", "smells awful",
                    "never turned on", "burned out", "came apart", "tastes awful")

#: Faults a product does not have: (-s form, base form): "it never leaks".
FAULTS = (("breaks", "break"), ("leaks", "leak"), ("fails", "fail"), ("jams", "jam"),
          ("cracks", "crack"), ("rusts", "rust"), ("fades", "fade"), ("squeaks", "squeak"),
          ("rattles", "rattle"), ("overheats", "overheat"), ("disappoints", "disappoint"),
          ("wobbles", "wobble"), ("smells", "smell"))

INTENSIFIERS = _words("""
very really so extremely absolutely definitely perfectly truly incredibly totally
completely super quite pretty highly seriously genuinely remarkably exceptionally
""")

#: (clause, polarity, strength): what a reviewer will do next.
REPURCHASE = (
    ("will definitely be buying again", 1, 3), ("will be buying again", 1, 2),
    ("i will buy it again", 1, 2), ("i would buy it again", 1, 2),
    ("already ordered another one", 1, 3), ("i will order more", 1, 2),
    ("highly recommend it", 1, 3), ("i would definitely recommend it", 1, 3),
    ("worth every penny", 1, 3), ("would recommend it to anyone", 1, 3),
    ("five stars", 1, 3), ("ten out of ten", 1, 3), ("a must have", 1, 3),
    ("never buying again", -1, 3), ("will never be buying again", -1, 3),
    ("i returned it", -1, 3), ("sent it back", -1, 3), ("returned it", -1, 3),
    ("would not recommend it", -1, 3), ("i want my money back", -1, 3),
    ("waste of money", -1, 3), ("one star", -1, 3), ("do not buy", -1, 3),
    ("avoid it", -1, 3), ("i will not buy it again", -1, 3), ("no complaints", 1, 2),
    ("exactly what i needed", 1, 3), ("never again", -1, 3), ("threw it away", -1, 3),
    ("what a waste", -1, 3), ("can't recommend it enough", 1, 3),
    ("could not be happier", 1, 3), ("never had a problem", 1, 2), ("no regrets", 1, 2),
    ("i will never buy another brand", 1, 3), ("not a single complaint", 1, 2),
    ("i can't live without it", 1, 3), ("definitely not buying again", -1, 3),
    ("i will definitely return it", -1, 3), ("definitely a waste", -1, 3),
    ("not worth the money", -1, 3), ("i asked for a refund", -1, 3),
)

#: Negations before an adjective, a verb or an action (both classes use them alike).
NEGATED_BE = ("is not", "was not", "isn't", "wasn't", "is never", "was never",
              "is no longer", "was not at all")
NEGATED_DO = ("don't", "didn't", "do not", "did not", "never", "no longer")
NEGATED_DOES = ("doesn't", "didn't", "does not", "did not", "never", "no longer")

PEOPLE = _words("""
wife husband son daughter kids children baby toddler mom dad mother father sister
brother grandma grandpa grandmother grandfather aunt uncle cousin niece nephew friend
friends neighbor neighbour boss coworker colleague roommate partner boyfriend girlfriend
family teenager students teacher nurse doctor dog cat puppy kitten guests team class
""")
PLACES = _words("""
kitchen bathroom bedroom garage garden yard patio office desk car truck van train bus
plane airport hotel cabin camp beach park gym school college work church store shop
mall market supermarket pharmacy house apartment basement attic porch balcony closet
pantry hallway lobby restaurant cafe library studio classroom dorm boat lake river
mountain trail city town village farm barn shed
""")
TIMES = _words("""
today yesterday tonight morning afternoon evening night week weekend month year day
monday tuesday wednesday thursday friday saturday sunday january february march april
may june july august september october november december spring summer autumn fall
winter christmas holiday birthday vacation breakfast lunch dinner brunch lately
recently ago once twice daily weekly
""")
NUMBERS = _words("""
one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty
forty fifty hundred first second third fourth fifth half dozen couple few several
many some both each every another most
""")
COLOURS = _words("""
red blue green yellow orange purple pink brown black white grey gray silver gold beige
navy teal
""")
MATERIALS = _words("""
plastic metal steel wood wooden cotton wool leather glass ceramic rubber silicone
paper cardboard bamboo aluminum nylon polyester denim velvet linen
""")
SIZES = _words("""
big large huge small little medium tall short long wide narrow round square flat deep
shallow thick light dark new old extra regular standard mini family travel
""")
#: Neutral actions: (base, -s, past, -ing) or the past form the grammar uses.
NEUTRAL_VERBS = (
    ("buy", "buys", "bought", "buying"), ("order", "orders", "ordered", "ordering"),
    ("get", "gets", "got", "getting"), ("receive", "receives", "received", "receiving"),
    ("open", "opens", "opened", "opening"), ("try", "tries", "tried", "trying"),
    ("use", "uses", "used", "using"), ("eat", "eats", "ate", "eating"),
    ("drink", "drinks", "drank", "drinking"), ("wear", "wears", "wore", "wearing"),
    ("give", "gives", "gave", "giving"), ("take", "takes", "took", "taking"),
    ("put", "puts", "put", "putting"), ("keep", "keeps", "kept", "keeping"),
    ("bring", "brings", "brought", "bringing"), ("make", "makes", "made", "making"),
    ("cook", "cooks", "cooked", "cooking"), ("bake", "bakes", "baked", "baking"),
    ("wash", "washes", "washed", "washing"), ("pack", "packs", "packed", "packing"),
    ("install", "installs", "installed", "installing"),
    ("assemble", "assembles", "assembled", "assembling"),
    ("test", "tests", "tested", "testing"), ("check", "checks", "checked", "checking"),
    ("read", "reads", "read", "reading"), ("play", "plays", "played", "playing"),
    ("carry", "carries", "carried", "carrying"), ("share", "shares", "shared", "sharing"),
    ("need", "needs", "needed", "needing"), ("want", "wants", "wanted", "wanting"),
    ("pick", "picks", "picked", "picking"), ("choose", "chooses", "chose", "choosing"),
    ("compare", "compares", "compared", "comparing"), ("fill", "fills", "filled", "filling"),
    ("pour", "pours", "poured", "pouring"), ("mix", "mixes", "mixed", "mixing"),
    ("heat", "heats", "heated", "heating"), ("store", "stores", "stored", "storing"),
    ("set", "sets", "set", "setting"), ("plug", "plugs", "plugged", "plugging"),
    ("charge", "charges", "charged", "charging"), ("switch", "switches", "switched",
                                                     "switching"),
    ("replace", "replaces", "replaced", "replacing"), ("find", "finds", "found", "finding"),
    ("see", "sees", "saw", "seeing"), ("notice", "notices", "noticed", "noticing"),
    ("expect", "expects", "expected", "expecting"), ("wait", "waits", "waited", "waiting"),
    ("arrive", "arrives", "arrived", "arriving"), ("come", "comes", "came", "coming"),
    ("ship", "ships", "shipped", "shipping"), ("send", "sends", "sent", "sending"),
    ("pay", "pays", "paid", "paying"), ("spend", "spends", "spent", "spending"),
    ("visit", "visits", "visited", "visiting"), ("travel", "travels", "traveled",
                                                   "traveling"),
    ("walk", "walks", "walked", "walking"), ("run", "runs", "ran", "running"),
    ("clean", "cleans", "cleaned", "cleaning"), ("sleep", "sleeps", "slept", "sleeping"),
    ("sit", "sits", "sat", "sitting"), ("hold", "holds", "held", "holding"),
    ("look", "looks", "looked", "looking"), ("feel", "feels", "felt", "feeling"),
    ("think", "thinks", "thought", "thinking"), ("say", "says", "said", "saying"),
    ("tell", "tells", "told", "telling"), ("ask", "asks", "asked", "asking"),
    ("call", "calls", "called", "calling"), ("leave", "leaves", "left", "leaving"),
    ("finish", "finishes", "finished", "finishing"), ("start", "starts", "started",
                                                       "starting"),
    ("wrap", "wraps", "wrapped", "wrapping"), ("label", "labels", "labeled", "labeling"),
    ("measure", "measures", "measured", "measuring"), ("weigh", "weighs", "weighed",
                                                        "weighing"),
)
#: Words of the neutral frames (function words, small talk) besides the lists above.
FUNCTION_WORDS = _words("""
i me my mine we us our you your he him his she her they them their it its this that
these those the a an of to in on at for with from by about into over under after before
during since until while as like than then there here when where why how what which who
all any no not only just also too even still yet again ever already almost enough
quite rather much more less least very so and or but although though because if
is are was were be been being am do does did have has had having will would can could
should might must may shall it's i'm i've i'd i'll we've we're they're that's there's
don't doesn't didn't isn't wasn't aren't weren't won't wouldn't can't couldn't shouldn't
haven't hasn't hadn't up down out off back away around together home
thing things stuff item items product products one ones bit lot piece pieces part
time times minute minutes hour hours week weeks month months year years day days
box boxes pack packs bag bags bottle bottles can cans case cases set sets pair pairs
meal meals serving servings bite bites cup cups slice slices bowl bowls glass glasses
order orders purchase gift present price money dollar dollars penny cents
size sizes color colors brand brands model models version store online website
amazon review reviews star stars rating photo photos picture description expectation
expectations everyone everybody someone somebody anyone anybody nothing something
anything everything nobody people person way kind sort type side top bottom front
inside outside middle end start beginning rest other others same different own
well good bad fine okay yes sure maybe probably usually sometimes always often
""")
#: Neutral clauses used as written (the cereal review's, and small talk like them).
NEUTRAL_CLAUSES = (
    "i only ate half of it", "as all things should be", "as you would expect",
    "i bought it last week", "it came in a small box", "my sister has one too",
    "i use it every day", "the delivery took two days", "it arrived on monday",
    "i have had it for a month", "this is my second one", "i got it for my birthday",
    "we keep it in the kitchen", "my kids tried it first", "it was a gift",
    "i ordered the large size", "it comes in three colors", "i read the reviews first",
    "i paid full price", "i bought it on sale", "the box was bigger than i thought",
    "i eat it for breakfast", "we took it on vacation", "it fits in my bag",
    "all of us tried it", "it should be noted that i am picky", "that is all",
    "it is what it is", "i was skeptical at first", "i use it at work",
    "i was worried at first", "now i use it every morning", "honestly i had no idea",
    "it sits on the counter", "we tried it after a shower", "such a thing is rare",
    "i answered every question", "the box was empty when i opened it for the recipe",
)
#: Everyday words besides the lists above; a neutral clause of a few of them in a row
#: (both classes alike) shows the model that they say nothing about the verdict.
EVERYDAY = _words("""
now then soon later early late already finally actually honestly basically exactly
simply literally seriously frankly obviously apparently certainly clearly probably
perhaps maybe anyway otherwise instead especially mostly mainly nearly hardly
everywhere somewhere anywhere nowhere inside outside upstairs downstairs nearby
such same other another certain whole entire empty full raw cooked frozen warm cold hot
wet dry open closed ready free busy new used older younger
question answer idea reason problem issue result example detail fact point matter
chance choice change difference experience habit routine plan goal mistake surprise
counter table floor wall door window corner shower sink tub drawer garage yard
morning noon midnight hour week season weekend moment while
person man woman boy girl baby adult child parent kid husband owner buyer seller user
company shop factory warehouse mailman courier driver
answered asked told said called wrote texted emailed explained mentioned
turned moved lifted dropped threw caught pulled pushed opened closed started stopped
sat stood lay slept woke grew learned taught watched listened heard noticed remembered
forgot decided hoped worried wondered guessed agreed expected planned
""")
#: The words the grammar's frames write themselves ("this box of ... gave me ...").
FRAME_WORDS = _words("""
! . , a an and am at after again all although as be but came feels first for gave i
i'm in is it just looks me my not of on ones overall seems tastes the them they make
this was we were what within taste design product really absolutely truly definitely
totally bag bottle box jar pack
""")
