#!/bin/sh
# Regenerates every prompt clip with espeak-ng (English voice) and sox as
# 8 kHz mono µ-law WAV files in ./audio, plus the generated hold music.
# Needs the Debian packages espeak-ng and sox. The output is committed, so
# this only runs when a prompt's wording changes.
set -eu
cd "$(dirname "$0")"
out=audio
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

voice=${VOICE:-en-us}
speed=${SPEED:-150}

say() { # name text
	espeak-ng -v "$voice" -s "$speed" -w "$tmp/$1.raw.wav" "$2"
	# 8 kHz mono µ-law; trim espeak's lead-in silence, normalise to -3 dBFS.
	sox "$tmp/$1.raw.wav" -r 8000 -c 1 -e u-law "$out/$1.wav" \
		silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0 0.15 norm -3
}

say welcome "Welcome to the government call center, one number for every agency."
say menu-intro "Please choose an agency."

say agency-tax "National Tax Service"
say agency-customs "Korea Customs Service"
say agency-immigration "Immigration Contact Center"
say agency-military-manpower "Military Manpower Administration"
say agency-police-civil "Police Civil Complaints"
say agency-employment-labor "Employment and Labor Counselling"
say agency-health-insurance "National Health Insurance Service"
say agency-national-pension "National Pension Service"
say agency-legal-aid "Legal Aid Corporation"
say agency-consumer "Consumer Counselling Center"
say agency-civil "Government Civil Affairs"

set -- zero one two three four five six seven eight nine
i=0
for w in "$@"; do say "digit-$i" "$w"; i=$((i + 1)); done
say star "star"
say hash "hash"

i=0
for w in zero one two three four five six seven eight nine ten eleven twelve \
	thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty; do
	say "number-$i" "$w"; i=$((i + 1))
done
say number-30 "thirty"
say number-40 "forty"
say number-50 "fifty"
say number-60 "sixty"

say for "For the"
say press "press"
say then "then"
say invalid "Sorry, that is not a valid choice."
say no-input "We did not receive your choice."
say goodbye "Goodbye."
say please-hold "Please hold, an agent will be with you shortly."

say recording-notice "This call may be recorded for quality and training."

# Callbacks (virtual hold).
say callback-offer "The waiting time is long. To be called back when an agent is free, keeping your place in the queue, press 1. To keep waiting, stay on the line."
say callback-number "We will call you back at"
say callback-confirm "To confirm, press 1. To use another number, enter it and press hash."
say callback-booked "Thank you. We will call you back. You keep your place in the queue. Goodbye."
say callback-intro "This is the government call center, calling you back as you asked. An agent is on the line."
say callback-agent "Calling the citizen back. Please wait."
say callback-unreached "The citizen did not answer. The callback will be tried again later."
say position "You are caller number"
say in-queue "in the queue."
say ewt "Your estimated waiting time is"
say minutes "minutes."
say minute "minute."
say seconds "seconds."
say less-than-a-minute "less than a minute."
say closed "The office is closed now. Please call again during opening hours."
say timeout "We are sorry, no agent could take your call. Please call again later."
say busy "All lines are busy. Please call again later."

say identity-offer "To verify your identity with the digital ID on your smartphone, press 1. To continue without it, press 2."
say identity-code "Open your wallet and enter this code:"
say identity-match "Your wallet shows this number; approve only if it matches:"
say identity-wait "Please approve in your wallet."
say identity-ok "Thank you. You are verified."
say identity-failed "Verification did not succeed. You will be connected as an unverified caller."
say identity-required "This service requires a verified identity. Goodbye."
say repeat "To hear the code again, press star."
say identity-sms-offer "To get a text message with a link to your ID wallet, press 1."
say identity-sms-sent "We sent you a text message with the link. Your text shows the number"
say identity-sms-failed "Sorry, the text message could not be sent. Please use the code instead."

# Hold music: a slow I-vi-IV-V arpeggio of plucked notes over a soft pad,
# 8 seconds, faded at both ends so the loop joins quietly.
notes=""
for chord in "C4 E4 G4 C5" "A3 C4 E4 A4" "F3 A3 C4 F4" "G3 B3 D4 G4"; do
	for n in $chord; do notes="$notes $n"; done
done
i=0
for n in $notes; do
	sox -n -r 8000 -c 1 "$tmp/note$(printf %02d $i).wav" synth 0.5 pluck "$n" fade 0 0.5 0.3 vol 0.6
	i=$((i + 1))
done
sox "$tmp"/note*.wav -r 8000 -c 1 "$tmp/arp.wav"
i=0
for root in 130.81 110.00 87.31 98.00; do
	sox -n -r 8000 -c 1 "$tmp/pad$i.wav" synth 2 sine "$root" fade 0.3 2 0.3 vol 0.15
	i=$((i + 1))
done
sox "$tmp"/pad?.wav -r 8000 -c 1 "$tmp/pad.wav"
sox -m "$tmp/arp.wav" "$tmp/pad.wav" -r 8000 -c 1 -e u-law "$out/hold.wav" trim 0 8 fade 0.05 8 0.05 norm -6
