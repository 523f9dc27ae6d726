"use client";

import { MessageCircleIcon } from "lucide-react";
import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { interpolate } from "@/lib/i18n/translate";
import { type LoginState, loginAction } from "./actions";

type Labels = Record<
  | "title"
  | "subtitle"
  | "email"
  | "password"
  | "submit"
  | "submitting"
  | "invalid"
  | "invalidInput"
  | "rateLimited"
  | "error"
  | "demo"
  | "appName",
  string
>;

export function LoginForm({ callbackUrl, labels }: { callbackUrl: string; labels: Labels }) {
  const [state, action, pending] = useActionState<LoginState, FormData>(loginAction, {});
  const message =
    state.error === "rateLimited"
      ? interpolate(labels.rateLimited, { minutes: state.minutes ?? 15 })
      : state.error
        ? labels[state.error]
        : null;
  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <div className="mb-2 flex items-center gap-2 text-primary">
          <MessageCircleIcon className="size-5" />
          <span className="text-sm font-semibold">{labels.appName}</span>
        </div>
        <CardTitle>
          <h1 className="text-xl">{labels.title}</h1>
        </CardTitle>
        <CardDescription>{labels.subtitle}</CardDescription>
      </CardHeader>
      <CardContent>
        <form action={action} className="flex flex-col gap-4">
          <input type="hidden" name="callbackUrl" value={callbackUrl} />
          <div className="flex flex-col gap-2">
            <Label htmlFor="email">{labels.email}</Label>
            <Input
              id="email"
              name="email"
              type="email"
              autoComplete="username"
              required
              defaultValue={state.email}
              aria-invalid={Boolean(state.error) || undefined}
            />
          </div>
          <div className="flex flex-col gap-2">
            <Label htmlFor="password">{labels.password}</Label>
            <Input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              aria-invalid={Boolean(state.error) || undefined}
            />
          </div>
          {message && (
            <p role="alert" className="text-sm text-destructive">
              {message}
            </p>
          )}
          <Button type="submit" disabled={pending}>
            {pending ? labels.submitting : labels.submit}
          </Button>
          <p className="text-xs text-muted-foreground">{labels.demo}</p>
        </form>
      </CardContent>
    </Card>
  );
}
