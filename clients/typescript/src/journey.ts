/**
 * The customer journey of the single-page app, typed from the API's OpenAPI schema:
 * register, verify the e-mail address, log in, refresh (rotation), list showtimes, read a seat
 * map, book, pay, cancel, and read error envelopes with a typed `code`.
 *
 *   API_URL=http://127.0.0.1:8000 MAIL_DIR=/path/to/filemail npm run journey
 *
 * MAIL_DIR is where the server's file e-mail backend (EMAIL_URL=filemail://...) writes: the
 * verification link is read from there, as a person would read it in their inbox.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./api.js";

type Schemas = components["schemas"];
type ErrorCode = Schemas["ErrorCodeEnum"];
type ErrorResponse = Schemas["ErrorResponse"];
type Booking = Schemas["Booking"];
type SeatMapSeat = Schemas["SeatMapSeat"];
type SeatMap = Schemas["SeatMap"];
type SeatMapChanges = Schemas["SeatMapChanges"];

/** The seat map answers the whole map, or (with `?since=`) only the seats that changed. */
function wholeMap(document: SeatMap | SeatMapChanges): SeatMap {
  if (!("counts" in document)) throw new Error("Expected the whole seat map.");
  return document;
}

const baseUrl = required("API_URL");
const mailDir = required("MAIL_DIR");

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name}.`);
  return value;
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`Journey failed: ${what}`);
  console.log(`ok - ${what}`);
}

/** The body of a successful answer; anything else fails the journey with the envelope. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) {
    throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  }
  console.log(`ok - ${what} (${result.response.status})`);
  return result.data;
}

/** An error envelope's typed code: the compiler knows every code there is. */
function errorCode(error: ErrorResponse | undefined): ErrorCode | undefined {
  return error?.error.code;
}

// One client; the access token is added by a middleware, as an SPA would.
let accessToken: string | undefined;
const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    return request;
  },
};
const api = createClient<paths>({ baseUrl });
api.use(auth);

function verificationLink(email: string): { uid: string; token: string } {
  const files = readdirSync(mailDir).map((name) => join(mailDir, name));
  for (const file of files.reverse()) {
    const text = readFileSync(file, "utf8");
    if (!text.includes(`To: ${email}`)) continue;
    const match = /verify-email\?uid=([^&\s]+)&token=([^\s]+)/.exec(text);
    if (match?.[1] && match[2]) return { uid: match[1], token: match[2] };
  }
  throw new Error(`No verification e-mail to ${email} in ${mailDir}`);
}

/** Another customer, signed up, verified and logged in, with a client of their own. */
async function customerClient(email: string, password: string) {
  const client = createClient<paths>({ baseUrl });
  ok(
    await client.POST("/api/v1/auth/register/", {
      body: { email, password, first_name: "Other", last_name: "Customer" },
    }),
    "register another customer",
  );
  ok(await client.POST("/api/v1/auth/verify-email/", { body: verificationLink(email) }), "verify");
  const { access } = ok(
    await client.POST("/api/v1/auth/login/", { body: { email, password } }),
    "login as the other customer",
  );
  client.use({
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${access}`);
      return request;
    },
  });
  return client;
}

async function main(): Promise<void> {
  const email = `journey-${Date.now()}@example.com`;
  const password = "A-long-journey-2026";

  // Register: an unverified account, and a link by e-mail.
  const registered = ok(
    await api.POST("/api/v1/auth/register/", {
      body: { email, password, first_name: "Jo", last_name: "Urney" },
    }),
    "register",
  );
  check(!registered.email_verified, "a new account is unverified");

  const early = await api.POST("/api/v1/auth/login/", { body: { email, password } });
  check(errorCode(early.error) === "email_not_verified", "login before verifying is refused");

  const verified = ok(
    await api.POST("/api/v1/auth/verify-email/", { body: verificationLink(email) }),
    "verify the e-mail address from the link",
  );
  check(verified.state === "active", "the account is active");

  // Log in, then rotate the refresh token. The old one again at once (a retry whose answer was
  // lost, a second tab) gets the same new pair; presented later, it would end the login.
  const login = ok(await api.POST("/api/v1/auth/login/", { body: { email, password } }), "login");
  accessToken = login.access;
  check(login.user.role === "CUSTOMER", "a customer");
  const rotated = ok(
    await api.POST("/api/v1/auth/token/refresh/", { body: { refresh: login.refresh } }),
    "refresh",
  );
  accessToken = rotated.access;
  const replayed = ok(
    await api.POST("/api/v1/auth/token/refresh/", { body: { refresh: login.refresh } }),
    "the rotated refresh token again, at once",
  );
  check(replayed.refresh === rotated.refresh, "a retry at once gets the same new refresh token");
  const me = ok(await api.GET("/api/v1/users/me/"), "my profile with the new access token");
  check(me.email === email, "the profile is mine");

  // Showtimes: one far enough ahead to cancel (the cutoff is an hour) with seats left.
  const listed = ok(
    await api.GET("/api/v1/showtimes/", {
      params: { query: { ordering: ["starts_at"], page_size: 100 } },
    }),
    "list showtimes",
  );
  const soon = Date.now() + 3 * 60 * 60 * 1000;
  const showtime = listed.results.find(
    (s) => Date.parse(s.starts_at) > soon && s.seats_available >= 2,
  );
  check(showtime !== undefined, "a showtime more than three hours ahead with seats left");
  const badOrdering = await api.GET("/api/v1/showtimes/", {
    // A typo a client could make despite the types (a value from elsewhere): the API says so.
    params: { query: { ordering: ["starts_at", "-nonsense" as "starts_at"] } },
  });
  check(errorCode(badOrdering.error) === "validation_error", "an unknown ordering is a 400");

  // The seat map: every seat with its status and price.
  const seatMap = wholeMap(
    ok(
      await api.GET("/api/v1/showtimes/{id}/seats/", { params: { path: { id: showtime.id } } }),
      "seat map",
    ),
  );
  check(
    seatMap.showtime.base_price === showtime.base_price,
    `the seat map's base price is the showtime's (${seatMap.showtime.base_price})`,
  );
  check(
    seatMap.seats.every((seat) => seat.price === null || /^\d+\.\d{2}$/.test(seat.price)),
    "money has two decimals",
  );
  const free: SeatMapSeat[] = seatMap.seats.filter(
    (seat) => seat.status === "available" && seat.type !== "ACCESSIBLE",
  );
  const [first, second] = free;
  check(first !== undefined && second !== undefined, "two free seats");

  // Book: the seats are held until expires_at. An Idempotency-Key makes a retry safe.
  const held = ok(
    await api.POST("/api/v1/bookings/", {
      params: { header: { "Idempotency-Key": `book-${email}` } },
      body: {
        showtime: showtime.id,
        seats: [{ seat: first.id }, { seat: second.id, ticket_type: "CHILD" }],
      },
    }),
    "book two seats",
  );
  check(held.status === "PENDING" && held.tickets.length === 2, "a pending booking, two tickets");

  // The same seat, by another customer: a conflict with a typed code.
  const other = await customerClient(`other-${email}`, password);
  const taken = await other.POST("/api/v1/bookings/", {
    body: { showtime: showtime.id, seats: [{ seat: first.id }] },
  });
  const takenCode = errorCode(taken.error);
  check(takenCode === "seats_unavailable", "someone else's held seat is 409 seats_unavailable");

  // Pay with a sandbox card; the same key again replays the answer.
  const payKey = `pay-${held.reference}`;
  const card = {
    number: "4242 4242 4242 4242",
    exp_month: 12,
    exp_year: new Date().getFullYear() + 2,
    cvc: "123",
    holder_name: "Jo Urney",
  };
  const paid: Booking = ok(
    await api.POST("/api/v1/bookings/{id}/pay/", {
      params: { path: { id: held.id }, header: { "Idempotency-Key": payKey } },
      body: { card },
    }),
    "pay",
  );
  check(paid.status === "CONFIRMED", "the booking is confirmed");
  check(
    paid.tickets.every((ticket) => ticket.code !== null),
    "every ticket has its code",
  );
  check(paid.payment?.status === "SUCCEEDED", `paid ${paid.total} ${paid.currency}`);
  const again = await api.POST("/api/v1/bookings/{id}/pay/", {
    params: { path: { id: held.id }, header: { "Idempotency-Key": payKey } },
    body: { card },
  });
  check(
    again.response.headers.get("Idempotent-Replayed") === "true" &&
      again.data?.status === "CONFIRMED",
    "a retry with the same Idempotency-Key replays the answer",
  );

  // Cancel: the seats are free at once and the payment is refunded.
  const cancelled = ok(
    await api.POST("/api/v1/bookings/{id}/cancel/", { params: { path: { id: held.id } } }),
    "cancel",
  );
  check(cancelled.status === "CANCELLED", "the booking is cancelled");
  check(cancelled.payment?.status === "REFUNDED", "and refunded");
  // Polling: only what changed since the version seen first.
  const changes = ok(
    await api.GET("/api/v1/showtimes/{id}/seats/", {
      params: { path: { id: showtime.id }, query: { since: seatMap.version } },
    }),
    "seat map changes since the first look",
  );
  check(!("counts" in changes), "changes only");
  const seatAgain = changes.seats.find((seat) => seat.id === first.id);
  check(seatAgain?.status === "available", "the seat is free again");

  const payCancelled = await api.POST("/api/v1/bookings/{id}/pay/", {
    params: { path: { id: held.id }, header: { "Idempotency-Key": `${payKey}-2` } },
    body: { card },
  });
  check(
    payCancelled.response.status === 409 &&
      errorCode(payCancelled.error) === "booking_not_payable",
    "a cancelled booking cannot be paid (409 booking_not_payable)",
  );

  const mine = ok(await api.GET("/api/v1/bookings/"), "my bookings");
  check(
    mine.results.some((booking) => booking.id === held.id),
    "the booking is in my list",
  );
  console.log("The customer journey passed.");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
