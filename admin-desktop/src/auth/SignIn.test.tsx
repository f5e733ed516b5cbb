import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

const request = vi.fn();
vi.mock("../api/client", () => ({
  request: (...args: unknown[]) => request(...args),
  configureClient: () => {},
}));

import { ApiError } from "../api/errors";
import { SignInForm } from "./SignIn";
import { session } from "./session";
import { loadRefreshToken } from "./tokenStore";

function auth(over: Record<string, unknown>) {
  return {
    tokenCreate: {
      user: null, accessToken: null, accessTokenExpiresAt: null, refreshToken: null, userErrors: [], ...over,
    },
  };
}

async function submit(password = "pw") {
  await userEvent.clear(screen.getByLabelText("Server"));
  await userEvent.type(screen.getByLabelText("Server"), "http://127.0.0.1:18299");
  await userEvent.type(screen.getByLabelText("Email"), "a@x.test");
  await userEvent.type(screen.getByLabelText("Password"), password);
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("SignInForm", () => {
  beforeEach(() => {
    request.mockReset();
    localStorage.clear();
  });

  it("says so on a wrong password", async () => {
    request.mockResolvedValueOnce(auth({ userErrors: [{ code: "INVALID_CREDENTIALS", field: null, message: "wrong email or password" }] }));
    render(<SignInForm />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(screen.getByLabelText("Password")).toHaveValue("");
  });

  it("says when to retry after too many attempts", async () => {
    request.mockResolvedValueOnce(
      auth({ userErrors: [{ code: "TOO_MANY_ATTEMPTS", field: null, message: "too many failed attempts; try again in 840 s" }] }),
    );
    render(<SignInForm />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent(/Too many failed sign-ins.*Try again in 14 minutes \(at \d\d:\d\d/);
  });

  it("refuses a customer account and ends its session", async () => {
    request
      .mockResolvedValueOnce(
        auth({
          user: { id: "u", email: "a@x.test", name: "A", role: "CUSTOMER" },
          accessToken: "at", accessTokenExpiresAt: "2030-01-01T00:00:00Z", refreshToken: "rt",
        }),
      )
      .mockResolvedValueOnce({ tokenRevoke: { revoked: true, userErrors: [] } });
    render(<SignInForm />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent(/customer account.*for shop staff/);
    expect(String(request.mock.calls[1]![0])).toMatch(/mutation Revoke/);
    expect(await loadRefreshToken("http://127.0.0.1:18299")).toBeNull();
  });

  it("says the server does not answer", async () => {
    request.mockRejectedValueOnce(new ApiError("network", "down"));
    render(<SignInForm />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent(/server at http:\/\/127\.0\.0\.1:18299 does not answer/);
  });

  it("signs staff in; the refresh token goes to the native store, not localStorage", async () => {
    request.mockResolvedValueOnce(
      auth({
        user: { id: "u", email: "a@x.test", name: "A", role: "STAFF" },
        accessToken: "at", accessTokenExpiresAt: "2030-01-01T00:00:00Z", refreshToken: "rt-secret",
      }),
    );
    render(<SignInForm />);
    await submit();
    await vi.waitFor(() => expect(session.get().status).toBe("signed_in"));
    expect(await loadRefreshToken("http://127.0.0.1:18299")).toBe("rt-secret");
    expect(JSON.stringify({ ...localStorage })).not.toContain("rt-secret");
    expect(JSON.stringify({ ...localStorage })).not.toContain("\"at\"");
  });
});
