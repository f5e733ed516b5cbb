import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

vi.mock("./api/live", () => ({ startLive: () => {}, stopLive: () => {} }));
vi.mock("./home/HomeScreen", () => ({
  HomeScreen: () => <label>Draft note <input name="draft" /></label>,
}));
vi.mock("./inventory/InventoryScreen", () => ({ InventoryScreen: () => null }));
vi.mock("./payments/PaymentsScreen", () => ({ PaymentsScreen: () => null }));

import { App } from "./App";
import { session } from "./auth/session";

const user = { id: "u1", email: "s@x.test", name: "Sam", role: "STAFF" as const };

describe("App", () => {
  it("keeps the open screens and what was typed while the session is renewed by signing in again", async () => {
    render(<App />);
    expect(await screen.findByRole("form", { name: "Sign in" })).toBeInTheDocument();
    act(() => session.set({ status: "signed_in", server: "http://127.0.0.1:18297", user, generation: 41 }));
    const draft = await screen.findByLabelText("Draft note");
    await userEvent.type(draft, "count shelf B");

    act(() => session.set({ status: "expired", server: "http://127.0.0.1:18297", user, generation: 41 }));
    const dialog = screen.getByRole("dialog", { name: "Sign in again" });
    expect(dialog).toHaveTextContent(/what you were doing is kept/);
    expect(screen.getByLabelText("Email")).toHaveValue("s@x.test");
    expect(screen.getByLabelText("Draft note")).toHaveValue("count shelf B");

    act(() => session.set({ status: "signed_in", server: "http://127.0.0.1:18297", user, generation: 41 }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByLabelText("Draft note")).toHaveValue("count shelf B");
  });
});
