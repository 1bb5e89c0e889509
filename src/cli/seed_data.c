/* The demo organisation's people and conversation scripts: Acme Energy, a UK energy supplier.
 * All names, addresses and numbers are invented (phone numbers in Ofcom's drama ranges,
 * emails at example.* domains). seed_demo.c turns these into a reproducible history. */
#include "cli.h"

const struct demo_adviser demo_advisers[] = {
    {"sian.morgan@acme.example", "Sian Morgan", ROLE_SUPERVISOR, "billing",
     "billing:4,payments:4,complaints:5,vulnerability:3", "en,cy"},
    {"tomasz.nowak@acme.example", "Tomasz Nowak", ROLE_AGENT, "billing",
     "billing:4,payments:3,metering:3,moving_home:2", "en,pl"},
    {"imran.qureshi@acme.example", "Imran Qureshi", ROLE_AGENT, "billing",
     "billing:3,payments:4,moving_home:4,complaints:2", "en,ur"},
    {"grace.okafor@acme.example", "Grace Okafor", ROLE_AGENT, "support",
     "vulnerability:5,complaints:4,payments:3,bereavement:5", "en"},
    {"rhys.evans@acme.example", "Rhys Evans", ROLE_AGENT, "support",
     "vulnerability:4,metering:3,smart_meters:3,moving_home:2,billing:2", "en,cy"},
    {"owen.bradley@acme.example", "Owen Bradley", ROLE_EXPERT, NULL, "smart_meters:5,metering:4",
     "en"},
};
const size_t demo_advisers_count = sizeof(demo_advisers) / sizeof(demo_advisers[0]);

const struct demo_customer demo_customers[] = {
    {"Rhian Jones", "cy-GB", CHANNEL_WHATSAPP, 0, NULL, false,
     "email:rhian.jones@example.com whatsapp:+447700900101",
     "outage_updates:whatsapp:yes service_alerts:whatsapp:yes"},
    {"Tomasz Kowalski", "pl-PL", CHANNEL_EMAIL, 0, NULL, false,
     "email:tomasz.kowalski@example.net phone:+447700900102 web_visitor:wv-7f3a9c21",
     "service_alerts:email:yes"},
    {"Margaret Hughes", "en-GB", CHANNEL_SMS, NEED_HEARING | NEED_LOW_DIGITAL_CONFIDENCE,
     "Hard of hearing: contact by text message or letter, never by phone. Son helps with online "
     "forms.",
     true, "phone:+447700900103", "outage_updates:sms:yes reminders:sms:yes"},
    {"Aisha Rahman", "ur-GB", CHANNEL_WHATSAPP, 0, NULL, false,
     "whatsapp:+447700900104 email:aisha.rahman@example.org", "service_alerts:whatsapp:yes"},
    {"David Thompson", "en-GB", CHANNEL_EMAIL, 0, NULL, false,
     "email:d.thompson@example.com web_visitor:wv-19be0d44 device:smets2-e10b-52731",
     "service_alerts:email:yes outage_updates:email:yes marketing:email:yes"},
    {"Emma Clarke", "en-GB", CHANNEL_WEB, NEED_FINANCIAL_DIFFICULTY,
     "Lost her job in the spring; on a payment plan of £40 a month. Check the plan before "
     "any arrears action.",
     false, "email:emma.clarke@example.com phone:+447700900106 web_visitor:wv-5c2e8f10",
     "reminders:email:yes"},
    {"George Williams", "en-GB", CHANNEL_EMAIL, NEED_BEREAVEMENT,
     "Recently widowed; the account was in his late wife's name. Bereavement hold on bills.", true,
     "email:george.williams@example.net phone:+447700900107", NULL},
    {"Sophie Martin", "en-GB", CHANNEL_EMAIL, 0, NULL, false,
     "email:sophie.martin@example.com web_visitor:wv-a4419b7e device:smets2-e10b-60418",
     "service_alerts:email:yes marketing:email:no"},
    {"Krzysztof Wiśniewski", "pl-PL", CHANNEL_WHATSAPP, 0, NULL, false,
     "whatsapp:+447700900109 email:k.wisniewski@example.org", "outage_updates:whatsapp:yes"},
    {"Olivia Brown", "en-GB", CHANNEL_WEB, 0, NULL, false,
     "web_visitor:wv-0d6cf3b2 email:olivia.brown@example.com device:smets2-e10b-71125", NULL},
    {"Mohammed Iqbal", "ur-GB", CHANNEL_SMS, 0, NULL, false,
     "phone:+447700900111 email:m.iqbal@example.com", "outage_updates:sms:yes"},
    {"Chloe Davies", "cy-GB", CHANNEL_EMAIL, 0, NULL, false, "email:chloe.davies@example.co.uk",
     "service_alerts:email:yes"},
    {"James Wilson", "en-GB", CHANNEL_EMAIL, NEED_SIGHT,
     "Registered blind; uses a screen reader. Plain-text emails only, no PDF attachments.", false,
     "email:james.wilson@example.com device:smets2-e10b-80233", "service_alerts:email:yes"},
    {"Fatima Begum", "en-GB", CHANNEL_WHATSAPP, NEED_MENTAL_HEALTH,
     "Anxiety: give clear next steps and dates in writing; avoid unexpected calls.", true,
     "whatsapp:+447700900114 email:fatima.begum@example.org", "reminders:whatsapp:yes"},
    {"Liam O'Connor", "en-GB", CHANNEL_EMAIL, 0, NULL, false,
     "email:liam.oconnor@example.com phone:+447700900115", "marketing:email:no"},
    {"Ewa Zielińska", "pl-PL", CHANNEL_EMAIL, 0, NULL, false,
     "email:ewa.zielinska@example.net whatsapp:+447700900116", NULL},
    {"Harriet Green", "en-GB", CHANNEL_SMS, NEED_DEXTERITY,
     "Arthritis in both hands: cannot read the meter herself; quarterly meter-reader visits.", true,
     "phone:+447700900117", "outage_updates:sms:yes"},
    {"Ben Taylor", "en-GB", CHANNEL_WEB, 0, NULL, false,
     "web_visitor:wv-e2b7a901 email:ben.taylor@example.com", NULL},
    {"Gareth Price", "cy-GB", CHANNEL_EMAIL, 0, NULL, false,
     "email:gareth.price@example.co.uk device:smets2-e10b-93307", "service_alerts:email:yes"},
    {"Nadia Hussain", "en-GB", CHANNEL_WHATSAPP, 0, NULL, false,
     "whatsapp:+447700900120 email:nadia.hussain@example.com web_visitor:wv-66d0e4c8",
     "service_alerts:whatsapp:yes marketing:whatsapp:no"},
};
const size_t demo_customers_count = sizeof(demo_customers) / sizeof(demo_customers[0]);

/* Shorthands for the script lines: Customer, Agent, Note (internal), eXpert note (internal,
 * by the swarmed expert), Bot, System. */
// clang-format off
#define C(t) {SENDER_CUSTOMER, false, false, t}
#define A(t) {SENDER_AGENT, false, false, t}
#define N(t) {SENDER_AGENT, true, false, t}
#define X(t) {SENDER_AGENT, true, true, t}
#define B(t) {SENDER_BOT, false, false, t}
#define S(t) {SENDER_SYSTEM, false, false, t}
#define END {SENDER__COUNT, false, false, NULL}
// clang-format on
#define BOT_HELLO "Hello {first}, I'm Ava, Acme Energy's virtual assistant (a bot, not a person). "

const struct demo_script demo_scripts[] = {
    {.contact_reason = "billing question",
     .subject = "Bill much higher than usual",
     .weight = 5,
     .channel = CHANNEL_EMAIL,
     .priority = PRIORITY_NORMAL,
     .tags = "billing,estimated-bill",
     .skill = "billing",
     .lines =
         {C("Hi, my latest bill is £243.18, almost double last quarter. Nothing has changed at "
            "home. Can someone explain?"),
          A("Hi {first}, I'm {agent} from the billing team. Your last two bills were estimated "
            "because we didn't receive a meter reading. Could you send me the reading on your "
            "electricity meter today?"),
          C("The meter says 48213."),
          A("Thank you. With an actual reading your bill comes down to £131.40. I've re-issued it "
            "and the difference comes off your balance; the corrected bill is on its way by "
            "email."),
          C("Brilliant, thanks for sorting that so quickly."), END}},
    {.contact_reason = "meter reading",
     .subject = "Meter reading rejected on the website",
     .weight = 3,
     .channel = CHANNEL_WEB,
     .priority = PRIORITY_LOW,
     .tags = "metering,meter-reading",
     .skill = "metering",
     .lines = {C("I'm trying to give my meter reading but the website says it's too low?"),
               B(BOT_HELLO
                 "A reading is flagged when it is lower than our last estimate. What do the "
                 "meters show right now?"),
               C("03927 on the electric. Gas is 1184."),
               A("Hi {first}, {agent} here. Our last estimate was higher than your real use, which "
                 "is why "
                 "the form flagged it. I've entered 03927 (electricity) and 1184 (gas) as actual "
                 "readings and your next bill will use them."),
               C("Great, thank you."), S("Meter readings recorded: electricity 03927, gas 1184."),
               END}},
    {.contact_reason = "moving home",
     .subject = "Moving out at the end of the month",
     .weight = 2,
     .channel = CHANNEL_EMAIL,
     .priority = PRIORITY_NORMAL,
     .tags = "moving-home,final-bill",
     .skill = "moving_home",
     .lines =
         {C("We're moving out on the 28th. What do I need to do to close the account?"),
          A("Hi {first}, thanks for letting us know. Please send us meter readings on moving day "
            "and "
            "your forwarding address, and we'll send the final bill within 14 days. Would you like "
            "a "
            "quote for your new home too?"),
          C("New address is 14 Harbour View, Swansea SA1 1AB. Readings on the day: electricity "
            "22104, gas 7731. Yes to a quote please."),
          A("All recorded. Your final bill will go to Harbour View, and I've emailed you a quote "
            "for "
            "supplying the new address from the 29th."),
          S("Move-out date and final readings recorded; final bill scheduled."), END}},
    {.contact_reason = "payment difficulty",
     .subject = "Can't afford this month's direct debit",
     .weight = 2,
     .channel = CHANNEL_WEB,
     .priority = PRIORITY_HIGH,
     .tags = "payments,payment-plan,vulnerable",
     .skill = "vulnerability",
     .need = NEED_FINANCIAL_DIFFICULTY,
     .lines =
         {C("I can't afford my direct debit this month. I've lost my job and I'm really worried "
            "about being cut off."),
          B("I'm sorry to hear that, {first}. I'm Ava, a virtual assistant, and I'm passing you "
            "straight to a person who can help with payments. You won't lose your place."),
          S("Handed to Care & Vulnerability: financial difficulty."),
          A("Hi {first}, I'm {agent}. Please don't worry: nobody will cut you off while we sort "
            "this out together. Roughly what could you afford each month?"),
          C("Maybe £40 a month until I find work."),
          N("Payment plan of £40 a month for 6 months agreed; reminders paused; Energy Support "
            "Fund application sent. Review in 3 months."),
          A("I've set up a plan of £40 a month for the next six months and paused reminders. "
            "I've also sent you our Energy Support Fund form, which can clear part of the debt."),
          C("That's a weight off my mind. Thank you for being so kind."), END}},
    {.contact_reason = "complaint",
     .subject = "Formal complaint: refund still missing",
     .weight = 1,
     .channel = CHANNEL_EMAIL,
     .priority = PRIORITY_HIGH,
     .tags = "complaint,refund",
     .skill = "complaints",
     .lines =
         {C("This is the third time I've contacted you about the same refund. I was promised "
            "£86.20 "
            "six weeks ago and nothing has arrived. I want to make a formal complaint."),
          A("Dear {first}, I'm {agent}, and I'm sorry you've had to chase this. I've logged a "
            "formal complaint and I'm looking after it personally until it's fixed."),
          N("Refund was raised but stuck at approval. Escalated to finance; £30 goodwill credit "
            "approved by the supervisor."),
          A("Your refund of £86.20 was approved today and will reach your bank within 3 working "
            "days. I've also added £30 to your account as an apology for the delay."),
          C("Thank you. I appreciate someone finally sorting it."),
          S("Complaint resolved at the first stage."), END}},
    {.contact_reason = "power cut",
     .subject = "No power on our street",
     .weight = 1,
     .channel = CHANNEL_SMS,
     .priority = PRIORITY_URGENT,
     .tags = "power-cut,outage",
     .skill = "vulnerability",
     .lines =
         {C("No power on our street since 7pm. Is there a power cut?"),
          B(BOT_HELLO "There is a known power cut in your area. The network operator expects power "
                      "back by 22:30. Reply YES for text updates."),
          C("YES"), S("Outage updates switched on for this conversation."),
          B("Power has been restored in your area. If you still have no power, reply HELP and a "
            "person will call you back."),
          END}},
    {.contact_reason = "smart meter fault",
     .subject = "Smart meter stopped sending readings",
     .weight = 2,
     .channel = CHANNEL_DEVICE,
     .priority = PRIORITY_NORMAL,
     .tags = "smart-meter,device-alarm",
     .skill = "smart_meters",
     .lines =
         {S("Device alarm: smart meter {device} has sent no readings for 3 days."),
          A("Hi {first}, this is {agent} from Acme Energy. Your smart meter stopped sending us "
            "readings on Tuesday. You don't need to do anything yet: we're checking it remotely. "
            "Is "
            "your in-home display still showing your usage?"),
          C("The display says 'no signal' since the weekend."),
          X("Comms hub lost its WAN connection. Remote reset sent; if there are no readings within "
            "24 h, book an engineer visit for a hub swap."),
          A("Good news: our meter specialist reset the communications hub remotely and the meter "
            "is "
            "sending readings again. Your display should reconnect within the hour."),
          C("It's back on. Thanks!"), END}},
    {.contact_reason = "bereavement",
     .subject = "Account holder has passed away",
     .weight = 1,
     .channel = CHANNEL_EMAIL,
     .priority = PRIORITY_HIGH,
     .tags = "bereavement,account-transfer,vulnerable",
     .skill = "vulnerability",
     .need = NEED_BEREAVEMENT,
     .lines =
         {C("My wife passed away last month. The account is in her name and I don't know what to "
            "do about the bills."),
          A("Dear {first}, I'm {agent} from our Care & Vulnerability team, and I'm very sorry for "
            "your loss. There is no rush: I've put a 60-day hold on all bills and reminders."),
          A("Whenever you're ready, we can move the account into your name. All we need is a copy "
            "of the death certificate or the funeral director's letter, and there is no credit "
            "check."),
          C("Thank you. I'll send the certificate next week."),
          N("Bereavement hold of 60 days set; account transfer waiting for documents. Do not send "
            "standard arrears letters."),
          END}},
    {.contact_reason = "direct debit change",
     .subject = "Change direct debit date",
     .weight = 2,
     .channel = CHANNEL_PORTAL,
     .priority = PRIORITY_LOW,
     .tags = "direct-debit,payments",
     .skill = "payments",
     .lines =
         {C("Can I move my direct debit from the 1st to the 15th? I get paid mid-month."),
          B(BOT_HELLO "Yes, you can. I'm passing this to an adviser to confirm the new date."),
          A("Hi {first}, done: your direct debit will be taken on the 15th from next month, and "
            "there will be no double payment in between."),
          C("Perfect, cheers."), END}},
    {.contact_reason = "tariff switch",
     .subject = "Is there a cheaper tariff?",
     .weight = 2,
     .channel = CHANNEL_WEB,
     .priority = PRIORITY_NORMAL,
     .tags = "tariff,switch",
     .skill = "billing",
     .lines =
         {C("Is there a cheaper tariff for me? I've been on the standard variable for ages."),
          B(BOT_HELLO "Based on your usage, Acme Fixed 12 would be about £9 a month cheaper. "
                      "Would you like an adviser to go through the details?"),
          C("Yes please. Are there exit fees?"),
          A("Hi {first}, {agent} here. There are no exit fees on your current tariff. Fixed 12 has "
            "an exit fee of £25 per fuel if you leave early. I can switch you from the 1st of "
            "next month."),
          C("Go ahead please."),
          A("Done. You'll get a confirmation email with your new unit rates today."), END}},
    {.contact_reason = "refund request",
     .subject = "Refund of credit balance",
     .weight = 2,
     .channel = CHANNEL_EMAIL,
     .priority = PRIORITY_NORMAL,
     .tags = "refund,billing",
     .skill = "billing",
     .lines = {C("I have £150 credit on my account. Can I have it back?"),
               A("Hi {first}, of course. You can have £112 back and keep £38 to cover next month's "
                 "usage. I've requested the refund to the account your direct debit comes from."),
               C("Thanks, that works for me."), S("Refund of £112.00 issued."), END}},
    {.contact_reason = "priority services",
     .subject = "Priority Services Register",
     .weight = 1,
     .channel = CHANNEL_SMS,
     .priority = PRIORITY_NORMAL,
     .tags = "psr,vulnerable,accessibility",
     .skill = "vulnerability",
     .need = NEED_HEARING | NEED_SIGHT | NEED_DEXTERITY,
     .lines = {C("My son says I should be on a priority list because of my health. What is it?"),
               A("Hello {first}, I'm {agent}. The Priority Services Register is free. We contact "
                 "you the "
                 "way that suits you and warn you before any planned power cut. Shall I add you?"),
               C("Yes please. Text messages are best for me."),
               N("Added to the PSR with contact by text only; shared with the network operator."),
               A("You're on the register now, and we'll only contact you by text."), END}},
    {.contact_reason = "meter reading",
     .subject = "Help reading the meter",
     .weight = 1,
     .channel = CHANNEL_SMS,
     .priority = PRIORITY_NORMAL,
     .tags = "metering,psr",
     .skill = "metering",
     .need = NEED_DEXTERITY | NEED_SIGHT,
     .lines =
         {C("I can't get down to read my meter any more. Can someone help?"),
          A("Hello {first}, {agent} here. Of course: I've booked a meter reader to visit every "
            "quarter, starting next Thursday morning. They will carry Acme ID and say a password "
            "you choose."),
          C("That's lovely. Use the password 'bluebell' please."),
          N("Quarterly meter-reader visits booked; doorstep password set."), END}},
    {.contact_reason = "billing question",
     .subject = "Cwestiwn am fy mil",
     .weight = 3,
     .channel = CHANNEL_EMAIL,
     .priority = PRIORITY_NORMAL,
     .tags = "billing,welsh",
     .skill = "billing",
     .lang = "cy",
     .lines = {C("Helo, mae gen i gwestiwn am fy mil diwethaf."),
               A("Helo {first}, {agent} ydw i. Wrth gwrs, sut alla i helpu?"),
               C("Pam mae'r bil yn uwch na'r tro diwethaf?"),
               A("Amcangyfrif oedd y bil diwethaf. Rydw i wedi ei gywiro gyda darlleniad go iawn."),
               C("Diolch yn fawr!"), END}},
    {.contact_reason = "billing question",
     .subject = "Pytanie o rachunek",
     .weight = 3,
     .channel = CHANNEL_EMAIL,
     .priority = PRIORITY_NORMAL,
     .tags = "billing,polish",
     .skill = "billing",
     .lang = "pl",
     .lines =
         {C("Dzień dobry, mam pytanie dotyczące mojego ostatniego rachunku."),
          A("Dzień dobry {first}, nazywam się {agent}. Oczywiście, w czym mogę pomóc?"),
          C("Rachunek jest wyższy niż zwykle."),
          A("Poprzedni rachunek był szacunkowy. Poprawiłem go na podstawie rzeczywistego odczytu "
            "licznika."),
          C("Dziękuję bardzo!"), END}},
    {.contact_reason = "smart meter fault",
     .subject = "In-home display not working",
     .weight = 2,
     .channel = CHANNEL_WHATSAPP,
     .priority = PRIORITY_LOW,
     .tags = "smart-meter,ihd",
     .skill = "smart_meters",
     .lines = {C("My smart meter display has gone blank. The meter itself seems fine."),
               B(BOT_HELLO "Please try unplugging the display for 30 seconds. Did that help?"),
               C("No, still blank. I want to talk to a person."),
               A("Hi {first}, {agent} here. Your meter is still sending us readings, so only the "
                 "display "
                 "is faulty. I've ordered a replacement; it arrives in 3 to 5 working days."),
               C("Thanks for the quick help."), END}},
};
const size_t demo_scripts_count = sizeof(demo_scripts) / sizeof(demo_scripts[0]);
