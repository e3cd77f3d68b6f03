//! `rampart community`: communities of organisations (sharing groups), set up
//! by the instance's operator. Rules of sharing: docs/SHARING.md.

use std::process::ExitCode;

use clap::Subcommand;
use rampart_domain::sharing::MemberRole;
use rampart_store::ChangeContext;
use serde_json::json;

use crate::Global;
use crate::commands::{open, organisation, print_json};

#[derive(Subcommand)]
pub enum CommunityCommand {
    /// Create a community; its owner organisation becomes its first member.
    Create {
        name: String,
        #[arg(long)]
        owner: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// Add an organisation to a community, active at once.
    Add {
        name: String,
        #[arg(long)]
        org: String,
        /// owner, contributor or reader.
        #[arg(long, default_value = "contributor")]
        role: String,
    },
    /// The communities of an organisation, with its role and state in each.
    List {
        #[arg(long)]
        org: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(global: &Global, cmd: CommunityCommand) -> anyhow::Result<ExitCode> {
    let store = open(global).await?;
    let ctx = ChangeContext::cli();
    match cmd {
        CommunityCommand::Create { name, owner, description, json } => {
            let owner = organisation(&store, &owner).await?;
            let c = store.create_community(&ctx, &owner.id, &name, &description).await?;
            if json {
                print_json(json!({"id": c.id, "name": c.name, "owner": owner.name}));
            } else {
                println!("created community {} owned by {} with id {}", c.name, owner.name, c.id);
            }
        }
        CommunityCommand::Add { name, org, role } => {
            let community = store
                .community_by_name(&name)
                .await
                .map_err(|_| anyhow::anyhow!("no community named {name:?}; see `rampart community list --org ORG`"))?;
            let member = organisation(&store, &org).await?;
            let role = MemberRole::parse(&role)?;
            store.add_community_member(&ctx, None, &community.id, &member.id, role).await?;
            println!("{} is a {role} of {}", member.name, community.name);
        }
        CommunityCommand::List { org, json } => {
            let org = organisation(&store, &org).await?;
            let rows = store.communities_of(&org.id).await?;
            if json {
                print_json(json!(
                    rows.iter()
                        .map(|(c, m)| json!({"id": c.id, "name": c.name, "role": m.role, "state": m.state}))
                        .collect::<Vec<_>>()
                ));
            } else {
                for (c, m) in rows {
                    println!("{}\t{}\t{}\t{}", c.name, m.role, m.state, c.id);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
