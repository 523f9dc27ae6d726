/**
 * The demo workspace's fixed identities and templates. Shared by the seed and
 * the Cloud API simulator so both sides know the same numbers and templates.
 */
export const DEMO_PASSWORD = "demo1234";
export const DEMO_WABA_ID = "200000000000001";

export const DEMO_INBOXES = [
  { name: "Support", phoneNumberId: "100000000000001", displayNumber: "15550001111", wabaId: DEMO_WABA_ID },
  { name: "Sales", phoneNumberId: "100000000000002", displayNumber: "15550002222", wabaId: DEMO_WABA_ID },
] as const;

export const DEMO_USERS = [
  { email: "admin@demo.test", name: "Alice Admin", role: "admin" },
  { email: "supervisor@demo.test", name: "Sam Supervisor", role: "supervisor" },
  { email: "agent1@demo.test", name: "Ana Agent", role: "agent" },
  { email: "agent2@demo.test", name: "Bruno Agent", role: "agent" },
] as const;

type DemoTemplate = {
  name: string;
  language: string;
  category: "MARKETING" | "UTILITY" | "AUTHENTICATION";
  status: "APPROVED" | "PENDING" | "REJECTED";
  rejectedReason?: string;
  components: Record<string, unknown>[];
};

export const DEMO_TEMPLATES: DemoTemplate[] = [
  {
    name: "summer_sale",
    language: "en_US",
    category: "MARKETING",
    status: "APPROVED",
    components: [
      { type: "HEADER", format: "TEXT", text: "Summer sale" },
      {
        type: "BODY",
        text: "Hi {{1}}, our summer sale ends on {{2}}. Reply to get 20% off!",
        example: { body_text: [["Maria", "Friday"]] },
      },
      { type: "FOOTER", text: "Reply STOP to opt out" },
      { type: "BUTTONS", buttons: [{ type: "QUICK_REPLY", text: "I want it" }] },
    ],
  },
  {
    name: "order_update",
    language: "en_US",
    category: "UTILITY",
    status: "APPROVED",
    components: [
      {
        type: "BODY",
        text: "Hello {{1}}, your order {{2}} has shipped and arrives {{3}}.",
        example: { body_text: [["Maria", "#1042", "tomorrow"]] },
      },
    ],
  },
  {
    name: "follow_up",
    language: "en_US",
    category: "UTILITY",
    status: "APPROVED",
    components: [
      {
        type: "BODY",
        text: "Hi {{first_name}}, we are following up on your request {{ticket}}. Reply here to continue.",
        example: {
          body_text_named_params: [
            { param_name: "first_name", example: "Maria" },
            { param_name: "ticket", example: "#88" },
          ],
        },
      },
    ],
  },
  {
    name: "login_code",
    language: "en_US",
    category: "AUTHENTICATION",
    status: "APPROVED",
    components: [
      { type: "BODY", text: "{{1}} is your verification code.", example: { body_text: [["123456"]] } },
      { type: "FOOTER", text: "This code expires in 10 minutes." },
    ],
  },
  {
    name: "retomar_atendimento",
    language: "pt_BR",
    category: "UTILITY",
    status: "APPROVED",
    components: [
      {
        type: "BODY",
        text: "Olá {{1}}, podemos continuar o seu atendimento? Responda esta mensagem.",
        example: { body_text: [["Maria"]] },
      },
    ],
  },
  {
    name: "black_friday_teaser",
    language: "en_US",
    category: "MARKETING",
    status: "PENDING",
    components: [
      { type: "BODY", text: "Black Friday is coming, {{1}}!", example: { body_text: [["Maria"]] } },
    ],
  },
  {
    name: "win_back_offer",
    language: "en_US",
    category: "MARKETING",
    status: "REJECTED",
    rejectedReason: "INVALID_FORMAT",
    components: [{ type: "BODY", text: "We miss you! Come back for 50% off." }],
  },
];

/** The seed's price table (US$ per conversation, June 2023), in micro-dollars. */
export const DEFAULT_PRICE_ROWS = [
  { category: "marketing", micros: 62500 },
  { category: "utility", micros: 8000 },
  { category: "authentication", micros: 31500 },
  { category: "service", micros: 0 },
] as const;
