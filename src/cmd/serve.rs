//! `yuebao serve`: the portal on the store of `--data`, until Ctrl-C.

use crate::cli::ServeArgs;
use crate::schema::Schemas;

pub fn run(args: &ServeArgs, schemas: &Schemas, now: Option<&str>) -> anyhow::Result<i32> {
    let data = crate::workflow::data::data_dir(args.store.dir.as_deref());
    // Created (or upgraded) once before serving, so that requests find it ready.
    let key = super::audit_key(&args.store)?;
    crate::workflow::Data::open(&data, key.clone(), schemas)?;
    let policy = crate::workflow::policy::Policy::load(&data)?;
    let mut state = crate::web::AppState::new(
        data,
        schemas.clone(),
        // Over HTTPS the session cookie is only ever sent back over HTTPS.
        args.secure_cookie || args.tls_cert.is_some(),
        args.limits,
        now.map(|t| super::time_arg("--now", t)).transpose()?,
    );
    state.policy = policy;
    state.audit_key = key;
    // The personal-data key is read (or made) when a register is first imported or shown.
    state.key_path = match super::ledger::key_path(&args.key, &state.data) {
        Ok(p) => Some(p),
        Err(e) if args.key.key_file.is_some() => return Err(e),
        Err(e) => {
            eprintln!("注意：{e}；门户不能导入或显示台账人员");
            None
        }
    };
    for url in &args.public_url {
        let o = crate::web::Origin::parse(url)
            .ok_or_else(|| anyhow::anyhow!("--public-url “{url}”不是网址：应写作 http://10.1.2.3:8080 或 https://yuebao.example.gov.cn"))?;
        state.origins.push(o);
    }
    let tls = args.tls_cert.clone().zip(args.tls_key.clone());
    crate::web::serve(state, &args.listen, tls)?;
    Ok(0)
}
