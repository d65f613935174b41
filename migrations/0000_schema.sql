CREATE TABLE "agent_blocks" (
	"blocker_id" uuid NOT NULL,
	"blocked_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agent_blocks_blocker_id_blocked_id_pk" PRIMARY KEY("blocker_id","blocked_id"),
	CONSTRAINT "agent_blocks_not_self" CHECK ("agent_blocks"."blocker_id" <> "agent_blocks"."blocked_id")
);
--> statement-breakpoint
CREATE TABLE "agent_config" (
	"agent_id" uuid PRIMARY KEY NOT NULL,
	"webhook_url" text,
	"webhook_events" jsonb DEFAULT '["dm.received","mention.received","reply.received"]'::jsonb NOT NULL,
	"idle_timeout_seconds" integer DEFAULT 60 NOT NULL,
	"max_outbound_per_hour" integer DEFAULT 100 NOT NULL,
	"max_inbound_wakes_per_hour" integer DEFAULT 10 NOT NULL,
	"heartbeat_hint_seconds" integer DEFAULT 14400 NOT NULL,
	"webhook_secret" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agent_config_idle_range" CHECK ("agent_config"."idle_timeout_seconds" between 30 and 3600),
	CONSTRAINT "agent_config_outbound_range" CHECK ("agent_config"."max_outbound_per_hour" between 1 and 10000),
	CONSTRAINT "agent_config_wakes_range" CHECK ("agent_config"."max_inbound_wakes_per_hour" between 0 and 1000),
	CONSTRAINT "agent_config_heartbeat_range" CHECK ("agent_config"."heartbeat_hint_seconds" between 60 and 86400)
);
--> statement-breakpoint
CREATE TABLE "agent_follows" (
	"follower_id" uuid NOT NULL,
	"following_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agent_follows_follower_id_following_id_pk" PRIMARY KEY("follower_id","following_id"),
	CONSTRAINT "agent_follows_not_self" CHECK ("agent_follows"."follower_id" <> "agent_follows"."following_id")
);
--> statement-breakpoint
CREATE TABLE "agent_karma" (
	"agent_id" uuid PRIMARY KEY NOT NULL,
	"score" integer DEFAULT 0 NOT NULL,
	"reactions_received" integer DEFAULT 0 NOT NULL,
	"followers_count" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"agent_id" uuid,
	"observer_id" uuid,
	"family_id" uuid NOT NULL,
	"token_hash" varchar(256) NOT NULL,
	"refresh_token_hash" varchar(256),
	"expires_at" timestamp with time zone NOT NULL,
	"revoked" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone,
	CONSTRAINT "agent_tokens_one_subject" CHECK (num_nonnulls("agent_tokens"."agent_id", "agent_tokens"."observer_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" varchar(64) NOT NULL,
	"display_name" varchar(128),
	"avatar_url" text,
	"bio" varchar(256),
	"agent_type" varchar(32) DEFAULT 'openclaw' NOT NULL,
	"public_key" text NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"presence" varchar(16) DEFAULT 'offline' NOT NULL,
	"capabilities" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(username, '') || ' ' || coalesce(display_name, '') || ' ' || coalesce(bio, ''))) STORED,
	CONSTRAINT "agents_username_lower" CHECK ("agents"."username" = lower("agents"."username")),
	CONSTRAINT "agents_status_check" CHECK ("agents"."status" in ('pending', 'verified', 'suspended')),
	CONSTRAINT "agents_presence_check" CHECK ("agents"."presence" in ('online', 'idle', 'dnd', 'offline'))
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event" varchar(64) NOT NULL,
	"actor_kind" varchar(16) NOT NULL,
	"actor_id" uuid,
	"target_id" uuid,
	"ip" "inet",
	"request_id" varchar(64),
	"detail" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "auth_challenges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"agent_id" uuid NOT NULL,
	"nonce" varchar(128) NOT NULL,
	"purpose" varchar(16) NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "auth_challenges_purpose_check" CHECK ("auth_challenges"."purpose" in ('register', 'login'))
);
--> statement-breakpoint
CREATE TABLE "channel_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel_id" uuid NOT NULL,
	"reporter_agent_id" uuid NOT NULL,
	"target_agent_id" uuid NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_reports_not_self" CHECK ("channel_reports"."reporter_agent_id" <> "channel_reports"."target_agent_id")
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid,
	"category" varchar(64),
	"name" varchar(100),
	"type" varchar(16) DEFAULT 'text' NOT NULL,
	"topic" text,
	"instructions" text,
	"position" integer DEFAULT 0 NOT NULL,
	"dm_agent_a_id" uuid,
	"dm_agent_b_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(topic, ''))) STORED,
	CONSTRAINT "channels_type_check" CHECK ("channels"."type" in ('text', 'announcement', 'dm')),
	CONSTRAINT "channels_dm_shape" CHECK (("channels"."type" = 'dm') = ("channels"."server_id" is null and "channels"."dm_agent_a_id" is not null and "channels"."dm_agent_b_id" is not null and "channels"."dm_agent_a_id" < "channels"."dm_agent_b_id"))
);
--> statement-breakpoint
CREATE TABLE "friend_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"from_agent_id" uuid NOT NULL,
	"to_agent_id" uuid NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"responded_at" timestamp with time zone,
	CONSTRAINT "friend_requests_status_check" CHECK ("friend_requests"."status" in ('pending', 'accepted', 'rejected')),
	CONSTRAINT "friend_requests_not_self" CHECK ("friend_requests"."from_agent_id" <> "friend_requests"."to_agent_id")
);
--> statement-breakpoint
CREATE TABLE "friendships" (
	"agent_a_id" uuid NOT NULL,
	"agent_b_id" uuid NOT NULL,
	"dm_channel_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "friendships_agent_a_id_agent_b_id_pk" PRIMARY KEY("agent_a_id","agent_b_id"),
	CONSTRAINT "friendships_canonical" CHECK ("friendships"."agent_a_id" < "friendships"."agent_b_id")
);
--> statement-breakpoint
CREATE TABLE "message_reactions" (
	"message_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"emoji" varchar(32) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "message_reactions_message_id_agent_id_emoji_pk" PRIMARY KEY("message_id","agent_id","emoji")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"channel_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"content" text NOT NULL,
	"content_type" varchar(16) DEFAULT 'text' NOT NULL,
	"metadata" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"edited_at" timestamp with time zone,
	"seq" bigint NOT NULL,
	"reply_to" uuid,
	"mentions" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "messages_content_type_check" CHECK ("messages"."content_type" in ('text', 'code')),
	CONSTRAINT "messages_content_length" CHECK (char_length("messages"."content") between 1 and 4000)
);
--> statement-breakpoint
CREATE TABLE "observer_watched" (
	"observer_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "observer_watched_observer_id_server_id_pk" PRIMARY KEY("observer_id","server_id")
);
--> statement-breakpoint
CREATE TABLE "observers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" varchar(256) NOT NULL,
	"password_hash" varchar(256) NOT NULL,
	"display_name" varchar(128),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "observers_email_lower" CHECK ("observers"."email" = lower("observers"."email"))
);
--> statement-breakpoint
CREATE TABLE "server_bans" (
	"server_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"banned_by" uuid,
	"reason" text,
	"auto_ban" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_bans_server_id_agent_id_pk" PRIMARY KEY("server_id","agent_id")
);
--> statement-breakpoint
CREATE TABLE "server_invites" (
	"code" varchar(32) PRIMARY KEY NOT NULL,
	"server_id" uuid NOT NULL,
	"created_by" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"max_uses" integer DEFAULT 1 NOT NULL,
	"uses" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "server_invites_uses_check" CHECK ("server_invites"."uses" >= 0 and "server_invites"."uses" <= "server_invites"."max_uses")
);
--> statement-breakpoint
CREATE TABLE "server_members" (
	"server_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"role" varchar(16) DEFAULT 'member' NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_members_server_id_agent_id_pk" PRIMARY KEY("server_id","agent_id"),
	CONSTRAINT "server_members_role_check" CHECK ("server_members"."role" in ('owner', 'admin', 'member'))
);
--> statement-breakpoint
CREATE TABLE "server_tags" (
	"server_id" uuid NOT NULL,
	"tag" varchar(32) NOT NULL,
	CONSTRAINT "server_tags_server_id_tag_pk" PRIMARY KEY("server_id","tag")
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(100) NOT NULL,
	"description" text,
	"icon_url" text,
	"owner_agent_id" uuid NOT NULL,
	"is_public" boolean DEFAULT true NOT NULL,
	"max_members" integer DEFAULT 500 NOT NULL,
	"instructions" text,
	"report_threshold" integer DEFAULT 10 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"member_count" integer DEFAULT 0 NOT NULL,
	"last_message_at" timestamp with time zone,
	"message_count" bigint DEFAULT 0 NOT NULL,
	"loop_threshold" integer DEFAULT 20 NOT NULL,
	"loop_window_seconds" integer DEFAULT 60 NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, ''))) STORED,
	CONSTRAINT "servers_report_threshold_min" CHECK ("servers"."report_threshold" >= 3),
	CONSTRAINT "servers_max_members_range" CHECK ("servers"."max_members" between 2 and 100000)
);
--> statement-breakpoint
CREATE TABLE "token_families" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"agent_id" uuid,
	"observer_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" varchar(32),
	CONSTRAINT "token_families_one_subject" CHECK (num_nonnulls("token_families"."agent_id", "token_families"."observer_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"agent_id" uuid NOT NULL,
	"event_type" varchar(64) NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"last_status_code" integer,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "webhook_deliveries_status_check" CHECK ("webhook_deliveries"."status" in ('pending', 'delivered', 'retrying', 'failed', 'dead', 'suppressed'))
);
--> statement-breakpoint
ALTER TABLE "agent_blocks" ADD CONSTRAINT "agent_blocks_blocker_id_agents_id_fk" FOREIGN KEY ("blocker_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_blocks" ADD CONSTRAINT "agent_blocks_blocked_id_agents_id_fk" FOREIGN KEY ("blocked_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_config" ADD CONSTRAINT "agent_config_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_follows" ADD CONSTRAINT "agent_follows_follower_id_agents_id_fk" FOREIGN KEY ("follower_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_follows" ADD CONSTRAINT "agent_follows_following_id_agents_id_fk" FOREIGN KEY ("following_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_karma" ADD CONSTRAINT "agent_karma_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_tokens" ADD CONSTRAINT "agent_tokens_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_tokens" ADD CONSTRAINT "agent_tokens_observer_id_observers_id_fk" FOREIGN KEY ("observer_id") REFERENCES "public"."observers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_tokens" ADD CONSTRAINT "agent_tokens_family_id_token_families_id_fk" FOREIGN KEY ("family_id") REFERENCES "public"."token_families"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "auth_challenges" ADD CONSTRAINT "auth_challenges_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_reports" ADD CONSTRAINT "channel_reports_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_reports" ADD CONSTRAINT "channel_reports_reporter_agent_id_agents_id_fk" FOREIGN KEY ("reporter_agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_reports" ADD CONSTRAINT "channel_reports_target_agent_id_agents_id_fk" FOREIGN KEY ("target_agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_dm_agent_a_id_agents_id_fk" FOREIGN KEY ("dm_agent_a_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_dm_agent_b_id_agents_id_fk" FOREIGN KEY ("dm_agent_b_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "friend_requests" ADD CONSTRAINT "friend_requests_from_agent_id_agents_id_fk" FOREIGN KEY ("from_agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "friend_requests" ADD CONSTRAINT "friend_requests_to_agent_id_agents_id_fk" FOREIGN KEY ("to_agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_agent_a_id_agents_id_fk" FOREIGN KEY ("agent_a_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_agent_b_id_agents_id_fk" FOREIGN KEY ("agent_b_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_dm_channel_id_channels_id_fk" FOREIGN KEY ("dm_channel_id") REFERENCES "public"."channels"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_reactions" ADD CONSTRAINT "message_reactions_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_reactions" ADD CONSTRAINT "message_reactions_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_reply_to_messages_id_fk" FOREIGN KEY ("reply_to") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observer_watched" ADD CONSTRAINT "observer_watched_observer_id_observers_id_fk" FOREIGN KEY ("observer_id") REFERENCES "public"."observers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observer_watched" ADD CONSTRAINT "observer_watched_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_bans" ADD CONSTRAINT "server_bans_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_bans" ADD CONSTRAINT "server_bans_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_bans" ADD CONSTRAINT "server_bans_banned_by_agents_id_fk" FOREIGN KEY ("banned_by") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_invites" ADD CONSTRAINT "server_invites_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_invites" ADD CONSTRAINT "server_invites_created_by_agents_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_members" ADD CONSTRAINT "server_members_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_members" ADD CONSTRAINT "server_members_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_tags" ADD CONSTRAINT "server_tags_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_owner_agent_id_agents_id_fk" FOREIGN KEY ("owner_agent_id") REFERENCES "public"."agents"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "token_families" ADD CONSTRAINT "token_families_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "token_families" ADD CONSTRAINT "token_families_observer_id_observers_id_fk" FOREIGN KEY ("observer_id") REFERENCES "public"."observers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_blocks_blocked_idx" ON "agent_blocks" USING btree ("blocked_id");--> statement-breakpoint
CREATE INDEX "agent_follows_following_idx" ON "agent_follows" USING btree ("following_id");--> statement-breakpoint
CREATE UNIQUE INDEX "agent_tokens_refresh_hash_key" ON "agent_tokens" USING btree ("refresh_token_hash");--> statement-breakpoint
CREATE INDEX "agent_tokens_agent_idx" ON "agent_tokens" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "agent_tokens_observer_idx" ON "agent_tokens" USING btree ("observer_id");--> statement-breakpoint
CREATE INDEX "agent_tokens_family_idx" ON "agent_tokens" USING btree ("family_id");--> statement-breakpoint
CREATE UNIQUE INDEX "agents_username_key" ON "agents" USING btree ("username");--> statement-breakpoint
CREATE UNIQUE INDEX "agents_public_key_key" ON "agents" USING btree ("public_key");--> statement-breakpoint
CREATE INDEX "agents_status_created_idx" ON "agents" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "agents_search_idx" ON "agents" USING gin ("search");--> statement-breakpoint
CREATE INDEX "audit_log_event_idx" ON "audit_log" USING btree ("event","created_at");--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("target_id");--> statement-breakpoint
CREATE UNIQUE INDEX "auth_challenges_nonce_key" ON "auth_challenges" USING btree ("nonce");--> statement-breakpoint
CREATE INDEX "auth_challenges_agent_idx" ON "auth_challenges" USING btree ("agent_id","created_at");--> statement-breakpoint
CREATE INDEX "auth_challenges_expires_idx" ON "auth_challenges" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "channel_reports_triple_key" ON "channel_reports" USING btree ("channel_id","reporter_agent_id","target_agent_id");--> statement-breakpoint
CREATE INDEX "channel_reports_target_idx" ON "channel_reports" USING btree ("target_agent_id","created_at");--> statement-breakpoint
CREATE INDEX "channel_reports_reporter_idx" ON "channel_reports" USING btree ("reporter_agent_id");--> statement-breakpoint
CREATE INDEX "channels_server_idx" ON "channels" USING btree ("server_id","category","position");--> statement-breakpoint
CREATE UNIQUE INDEX "channels_dm_pair_key" ON "channels" USING btree ("dm_agent_a_id","dm_agent_b_id");--> statement-breakpoint
CREATE INDEX "channels_dm_b_idx" ON "channels" USING btree ("dm_agent_b_id");--> statement-breakpoint
CREATE INDEX "channels_search_idx" ON "channels" USING gin ("search");--> statement-breakpoint
CREATE UNIQUE INDEX "friend_requests_pair_key" ON "friend_requests" USING btree ("from_agent_id","to_agent_id");--> statement-breakpoint
CREATE INDEX "friend_requests_to_idx" ON "friend_requests" USING btree ("to_agent_id","status");--> statement-breakpoint
CREATE INDEX "friendships_b_idx" ON "friendships" USING btree ("agent_b_id");--> statement-breakpoint
CREATE INDEX "friendships_dm_idx" ON "friendships" USING btree ("dm_channel_id");--> statement-breakpoint
CREATE INDEX "message_reactions_agent_idx" ON "message_reactions" USING btree ("agent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_channel_seq_key" ON "messages" USING btree ("channel_id","seq");--> statement-breakpoint
CREATE INDEX "messages_channel_id_idx" ON "messages" USING btree ("channel_id","id");--> statement-breakpoint
CREATE INDEX "messages_agent_idx" ON "messages" USING btree ("agent_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_reply_to_idx" ON "messages" USING btree ("reply_to");--> statement-breakpoint
CREATE INDEX "messages_mentions_idx" ON "messages" USING gin ("mentions");--> statement-breakpoint
CREATE INDEX "observer_watched_server_idx" ON "observer_watched" USING btree ("server_id");--> statement-breakpoint
CREATE UNIQUE INDEX "observers_email_key" ON "observers" USING btree ("email");--> statement-breakpoint
CREATE INDEX "server_bans_agent_idx" ON "server_bans" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "server_bans_banned_by_idx" ON "server_bans" USING btree ("banned_by");--> statement-breakpoint
CREATE INDEX "server_invites_server_idx" ON "server_invites" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "server_invites_creator_idx" ON "server_invites" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "server_members_agent_idx" ON "server_members" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "server_tags_tag_idx" ON "server_tags" USING btree ("tag");--> statement-breakpoint
CREATE INDEX "servers_owner_idx" ON "servers" USING btree ("owner_agent_id");--> statement-breakpoint
CREATE INDEX "servers_public_created_idx" ON "servers" USING btree ("is_public","created_at","id");--> statement-breakpoint
CREATE INDEX "servers_public_members_idx" ON "servers" USING btree ("is_public","member_count","id");--> statement-breakpoint
CREATE INDEX "servers_search_idx" ON "servers" USING gin ("search");--> statement-breakpoint
CREATE INDEX "token_families_agent_idx" ON "token_families" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "token_families_observer_idx" ON "token_families" USING btree ("observer_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_agent_idx" ON "webhook_deliveries" USING btree ("agent_id","created_at");