//! `rampart taxii`: the collections Rampart serves over TAXII 2.1, and the
//! remote collections it subscribes to and pulls from.

use std::process::ExitCode;

use clap::Subcommand;
use rampart_domain::subscription::{FeedAuth, NewSubscription};
use rampart_store::{ChangeContext, PullRecord, Store, Subscription};

#[derive(Subcommand)]
pub enum TaxiiCommand {
    /// STIX collections (what TAXII will serve).
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Subscribe a local collection to a remote TAXII 2.1 collection; prints the subscription's id.
    /// The password or token is read from an environment variable (never from the command line)
    /// and stored sealed with the instance's secret key.
    Subscribe {
        /// The local collection the objects go to.
        #[arg(long)]
        collection: String,
        /// The remote API root, such as https://cti.example/api1/.
        #[arg(long)]
        api_root: String,
        /// The remote collection's id.
        #[arg(long)]
        remote_collection: String,
        #[arg(long, default_value = "TAXII feed")]
        title: String,
        /// Sign in with HTTP Basic as this user (password from --password-env).
        #[arg(long, requires = "password_env", conflicts_with = "token_env")]
        user: Option<String>,
        /// The environment variable holding the Basic password.
        #[arg(long, requires = "user")]
        password_env: Option<String>,
        /// The environment variable holding a Bearer token.
        #[arg(long)]
        token_env: Option<String>,
        /// Minutes between scheduled pulls by the server; 0 pulls only when asked.
        #[arg(long, default_value_t = 60)]
        every_minutes: i64,
        #[arg(long)]
        json: bool,
    },
    /// List an organisation's subscriptions.
    Subscriptions {
        #[arg(long)]
        org: String,
        #[arg(long)]
        json: bool,
    },
    /// Pull a subscription now (or every due one with --due): fetches what the remote collection
    /// added since the last pull. Exits 1 when the remote server failed the pull.
    Pull {
        #[arg(required_unless_present = "due", conflicts_with = "due")]
        subscription: Option<String>,
        #[arg(long)]
        due: bool,
        #[arg(long)]
        json: bool,
    },
    /// End a subscription; what it pulled stays.
    Unsubscribe { subscription: String },
}

#[derive(Subcommand)]
pub enum CollectionCommand {
    /// Create a collection of an organisation's, or of a community's (kept by its owner); prints its id.
    Create {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, conflicts_with = "org", required_unless_present = "org")]
        community: Option<String>,
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// `rampart taxii …`.
pub async fn taxii(global: &crate::Global, command: TaxiiCommand) -> anyhow::Result<ExitCode> {
    let store = crate::commands::open(global).await?;
    let ctx = ChangeContext::cli();
    match command {
        TaxiiCommand::Collection(CollectionCommand::Create { title, description, community, org, json }) => {
            let collection = match (community, org) {
                (Some(name), _) => {
                    let community = store.community_by_name(&name).await.map_err(|_| {
                        anyhow::anyhow!("no community named {name:?}; see `rampart community list --org ORG`")
                    })?;
                    store
                        .create_collection(&ctx, &community.created_by_org, &title, &description, Some(&community.id))
                        .await?
                }
                (None, Some(name)) => {
                    let org = crate::commands::organisation(&store, &name).await?;
                    store.create_collection(&ctx, &org.id, &title, &description, None).await?
                }
                (None, None) => anyhow::bail!("give --community NAME or --org ORG"),
            };
            if json {
                crate::commands::print_json(serde_json::json!({
                    "id": collection.id, "title": collection.title, "community_id": collection.community_id
                }));
            } else {
                println!("{}", collection.id);
            }
        }
        TaxiiCommand::Subscribe {
            collection,
            api_root,
            remote_collection,
            title,
            user,
            password_env,
            token_env,
            every_minutes,
            json,
        } => {
            let target = store
                .collection_by_id(&collection)
                .await
                .map_err(|_| anyhow::anyhow!("no collection with id {collection}"))?;
            let auth = match (user, password_env, token_env) {
                (Some(username), Some(var), _) => FeedAuth::Basic { username, password: from_env(&var)? },
                (_, _, Some(var)) => FeedAuth::Bearer { token: from_env(&var)? },
                _ => FeedAuth::None,
            };
            let new = NewSubscription {
                title,
                api_root,
                remote_collection,
                collection: target.id,
                auth,
                pull_every_minutes: every_minutes,
            };
            let sub = store.create_subscription(&ctx, &target.org_id, new).await?;
            if json {
                crate::commands::print_json(serde_json::to_value(&sub)?);
            } else {
                println!("{}", sub.id);
            }
        }
        TaxiiCommand::Subscriptions { org, json } => {
            let org = crate::commands::organisation(&store, &org).await?;
            let subs = store.subscriptions(&org.id).await?;
            if json {
                crate::commands::print_json(serde_json::to_value(&subs)?);
            } else {
                for s in &subs {
                    println!("{}  {}  {}  → {}  {}", s.id, s.title, s.objects_url(), s.collection_title, state(s));
                }
            }
        }
        TaxiiCommand::Pull { subscription, due, json } => {
            // The operator pulls: any address, the local network included.
            let puller = rampart_taxii_client::Puller::new(store.clone(), rampart_taxii_client::Reach::Any);
            if due {
                println!("pulled {} due subscriptions", puller.pull_due().await?);
                return Ok(ExitCode::SUCCESS);
            }
            let id = subscription.unwrap_or_default();
            let sub = subscription_by_id(&store, &id).await?;
            let record = puller.pull(&ctx, &sub.org_id, &sub.id).await?;
            if json {
                crate::commands::print_json(serde_json::to_value(&record)?);
            } else {
                print_pull(&record);
            }
            if record.error.is_some() {
                return Ok(ExitCode::FAILURE);
            }
        }
        TaxiiCommand::Unsubscribe { subscription } => {
            let sub = subscription_by_id(&store, &subscription).await?;
            store.delete_subscription(&ctx, &sub.org_id, &sub.id).await?;
            println!("unsubscribed {}", sub.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn subscription_by_id(store: &Store, id: &str) -> anyhow::Result<Subscription> {
    store
        .subscription_by_id(id)
        .await
        .map_err(|_| anyhow::anyhow!("no subscription with id {id}; see `rampart taxii subscriptions --org ORG`"))
}

fn from_env(var: &str) -> anyhow::Result<String> {
    std::env::var(var)
        .map_err(|_| anyhow::anyhow!("the environment variable {var} is not set (it should hold the secret)"))
}

fn state(s: &Subscription) -> String {
    match (&s.last_pull_at, &s.last_error) {
        (None, _) => "never pulled".into(),
        (Some(at), None) => format!("pulled {}", rampart_store::rfc3339(*at)),
        (Some(at), Some(e)) => format!("failed {}: {e}", rampart_store::rfc3339(*at)),
    }
}

fn print_pull(r: &PullRecord) {
    println!(
        "pulled {} pages from {}: {} versions added, {} already in the collection, {} refused",
        r.pages, r.source_url, r.added, r.present, r.refused
    );
    match (&r.error, &r.added_after_to) {
        (Some(e), _) => eprintln!("the pull stopped: {e}"),
        (None, Some(after)) => println!("the next pull asks for objects added after {after}"),
        (None, None) => {}
    }
}
